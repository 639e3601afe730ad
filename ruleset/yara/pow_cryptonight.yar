// minerwatch — SPDX-License-Identifier: Apache-2.0
// CryptoNight family and the other CPU proof-of-work algorithms miners bundle with it
// (CN/R, CN-Lite, CN-Heavy, CN-Pico, Argon2/Chukwa, AstroBWT, GhostRider).

rule MW_CryptoNight_Family_Algorithms
{
    meta:
        description = "Table of CryptoNight variant names as kept by multi-algorithm CPU miners"
        family = "cryptonight"
        algorithm = "cn"
        severity = "high"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        $cn0 = "cryptonight" ascii nocase
        $cn1 = "cn/half" ascii
        $cn2 = "cn/rwz" ascii
        $cn3 = "cn/zls" ascii
        $cn4 = "cn/double" ascii
        $cn5 = "cn/ccx" ascii
        $cn6 = "cn-lite/1" ascii
        $cn7 = "cn-heavy/xhv" ascii
        $cn8 = "cn-heavy/tube" ascii
        $cn9 = "cn-pico/trtl" ascii
        $cn10 = "cn/upx2" ascii
        $cn11 = "cryptonight_heavy" ascii
        $cn12 = "cryptonight_lite" ascii
        $cn13 = "cryptonight_v7" ascii
        $cn14 = "cryptonight-monerov7" ascii
    condition:
        4 of them
}

rule MW_Argon2_Chukwa_Miner
{
    meta:
        description = "Argon2id as CPU miners use it (Chukwa/Ninja/WRKZ), with miner algorithm ids"
        family = "argon2"
        algorithm = "argon2"
        severity = "medium"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        $a1 = "argon2/chukwa" ascii
        $a2 = "argon2/chukwav2" ascii
        $a3 = "argon2/wrkz" ascii
        $a4 = "argon2/ninja" ascii
        $a5 = "chukwa" ascii
    condition:
        2 of ($a1, $a2, $a3, $a4) or ($a5 and 1 of ($a1, $a2, $a3, $a4))
}

rule MW_CPU_Miner_Algorithm_Table
{
    meta:
        description = "Algorithm id table of a multi-algorithm CPU/GPU miner (rx/cn/kawpow/astrobwt/ghostrider)"
        family = "xmrig-like"
        algorithm = "multi"
        severity = "high"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        $r1 = "rx/wow" ascii
        $r2 = "rx/arq" ascii
        $r3 = "rx/sfx" ascii
        $r4 = "rx/keva" ascii
        $r5 = "rx/graft" ascii
        $k1 = "kawpow/rvn" ascii
        $b1 = "astrobwt/dero" ascii
        $g1 = "ghostrider/rtm" ascii
        $c1 = "cn-pico/tlo" ascii
        $c2 = "cn/upx2" ascii
    condition:
        5 of them
}
