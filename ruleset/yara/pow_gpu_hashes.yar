// minerwatch — SPDX-License-Identifier: Apache-2.0
// Ethash/Etchash, KawPow/ProgPoW, SHA-256d, scrypt and Blake2b as miners use them. The bare
// hash constants are in every crypto library, so each rule also needs mining context.

rule MW_KawPow_ProgPoW
{
    meta:
        description = "KawPow (Ravencoin ProgPoW) header padding 'rAVENCOINKAWPOW' as 32-bit words or kernel source"
        family = "kawpow"
        algorithm = "kawpow"
        severity = "high"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        $pad_words = { 72 00 00 00 41 00 00 00 56 00 00 00 45 00 00 00 4E 00 00 00 43 00 00 00
                       4F 00 00 00 49 00 00 00 4E 00 00 00 4B 00 00 00 41 00 00 00 57 00 00 00 }
        $pad_src = "0x00000072, 0x00000041, 0x00000056" ascii nocase
        $progpow1 = "progpow" ascii nocase
        $progpow2 = "PROGPOW_PERIOD" ascii
        $progpow3 = "PROGPOW_LANES" ascii
    condition:
        $pad_words or $pad_src or ($progpow2 and $progpow3 and $progpow1)
}

rule MW_Ethash_Miner
{
    meta:
        description = "Ethash/Etchash DAG miner: epoch/DAG handling strings with stratum or ethproxy methods"
        family = "ethash"
        algorithm = "ethash"
        severity = "high"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        $e1 = "ethash" ascii nocase
        $e2 = "etchash" ascii nocase
        $d1 = "DAG" ascii fullword
        $d2 = "dag_size" ascii nocase
        $d3 = "DAG epoch" ascii nocase
        $m1 = "eth_submitWork" ascii
        $m2 = "eth_getWork" ascii
        $m3 = "eth_submitLogin" ascii
        $m4 = "mining.notify" ascii
        $m5 = "eth_submitHashrate" ascii
    condition:
        1 of ($e*) and 1 of ($d*) and 2 of ($m*)
}

rule MW_SHA256d_Miner
{
    meta:
        description = "SHA-256 round constants together with Bitcoin block-header mining (getwork/stratum)"
        family = "sha256d"
        algorithm = "sha256d"
        severity = "medium"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        // first four SHA-256 K words, little-endian
        $k = { 98 2F 8A 42 91 44 37 71 CF FB C0 B5 A5 DB B5 E9 }
        $s1 = "mining.notify" ascii
        $s2 = "mining.submit" ascii
        $s3 = "mining.set_difficulty" ascii
        $s4 = "getblocktemplate" ascii
        $s5 = "sha256d" ascii nocase
    condition:
        $k and $s5 and 2 of ($s1, $s2, $s3, $s4)
}

rule MW_Scrypt_Miner
{
    meta:
        description = "scrypt (Salsa20/8 core) in a Litecoin-style miner with stratum methods"
        family = "scrypt"
        algorithm = "scrypt"
        severity = "medium"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        $sigma = "expand 32-byte k" ascii
        $a = "scrypt" ascii fullword nocase
        $s1 = "mining.notify" ascii
        $s2 = "mining.submit" ascii
        $s3 = "mining.authorize" ascii
        $c = "cpuminer" ascii nocase
    condition:
        $sigma and $a and 2 of ($s*) and ($c or #a > 2)
}

rule MW_Blake2b_Miner
{
    meta:
        description = "Blake2b (SHA-512 IV plus sigma schedule) inside a miner (Sia/Decred/Handshake, GhostRider)"
        family = "blake2b"
        algorithm = "blake2b"
        severity = "medium"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        $iv = { 08 C9 BC F3 67 E6 09 6A 3B A7 CA 84 85 AE 67 BB }
        $b1 = "blake2b" ascii nocase
        $m1 = "mining.notify" ascii
        $m2 = "mining.submit" ascii
        $m3 = "stratum+tcp://" ascii
        $m4 = "mining.subscribe" ascii
    condition:
        $iv and $b1 and 3 of ($m*)
}
