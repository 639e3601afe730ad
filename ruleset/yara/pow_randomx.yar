// minerwatch — SPDX-License-Identifier: Apache-2.0
// RandomX (Monero rx/0 and its forks): constants every implementation carries, whether it is
// linked into XMRig, a fork, a botnet build or a stripped custom miner.

rule MW_RandomX_Argon2_Salt
{
    meta:
        description = "RandomX Argon2 cache salt of Monero or a RandomX fork (dataset key setup)"
        family = "randomx"
        algorithm = "rx"
        severity = "high"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        $monero = { 52 61 6E 64 6F 6D 58 03 }            // "RandomX\x03"
        $wow = { 52 61 6E 64 6F 6D 57 4F 57 01 }         // "RandomWOW\x01"
        $arq = { 52 61 6E 64 6F 6D 41 52 51 01 }         // "RandomARQ\x01"
        $sfx = { 52 61 6E 64 6F 6D 53 46 58 01 }         // "RandomSFX\x01"
        $keva = { 52 61 6E 64 6F 6D 4B 56 01 }           // "RandomKV\x01"
        // AesGenerator1R key 0 as stored for _mm_set_epi32 (little-endian, reversed words)
        $aes_gen_key0 = { 53 A5 AC 6D 09 66 71 62 2B 55 B5 DB 17 49 F4 B4 }
    condition:
        $monero and (#monero > 0) and ($aes_gen_key0 or 1 of ($wow, $arq, $sfx, $keva))
}

rule MW_RandomX_Program_Constants
{
    meta:
        description = "RandomX AES generator/hash keys (AesGenerator1R, AesHash1R): the RandomX VM"
        family = "randomx"
        algorithm = "rx"
        severity = "high"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        $gen_k0 = { 53 A5 AC 6D 09 66 71 62 2B 55 B5 DB 17 49 F4 B4 }
        $gen_k1 = { 07 AF 7C 6D 0D 71 6A 84 78 D3 25 17 4E DC A1 0D }
        $gen_k2 = { F1 62 12 3F C6 7E 94 9F 4F 79 C0 F4 45 E3 20 3E }
        $gen_k3 = { 35 81 EF 6A 7C 31 BA B1 88 4C 31 16 54 91 16 49 }
        $hash_s0 = { 0D 2C B5 92 DE 56 A8 9F 47 DB 82 CC AD 3A 98 D7 }
        $hash_s1 = { 6E 99 8D 33 98 B7 C7 15 5A 12 9E F5 57 80 E7 AC }
        $hash_x0 = { 89 83 FA F6 9F 94 24 8B BF 56 DC 90 01 02 89 06 }
        $hash_x1 = { D1 63 B2 61 3C E0 F4 51 C6 43 10 EE 9B F9 18 ED }
    condition:
        4 of them
}

rule MW_RandomX_Superscalar_Constants
{
    meta:
        description = "RandomX SuperscalarHash dataset-item constants next to the RandomX salt"
        family = "randomx"
        algorithm = "rx"
        severity = "medium"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        $mul0 = { 2D 7F 95 4C 2D F4 51 58 }   // 6364136223846793005
        $add1 = { FC A1 F5 59 8A 97 0A 81 }   // 9298411001130361340
        $add2 = { 46 D8 C2 38 DF 99 70 A7 }   // 12065312585734608966
        $add3 = { 5C 49 22 BF 1C B9 26 81 }   // 9306329213124626780
        $salt = "RandomX"
    condition:
        $mul0 and $add1 and $add2 and $add3 and $salt
}
