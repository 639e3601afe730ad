// minerwatch — SPDX-License-Identifier: Apache-2.0
// Miner programs by their strings: pool protocol, command-line flags, banners and donation
// hosts. Each rule needs several strings so a shell history or an editor holding one URL does
// not match.

rule MW_Stratum_Client
{
    meta:
        description = "Stratum mining client: pool URL scheme plus JSON-RPC mining methods"
        family = "stratum"
        algorithm = "any"
        severity = "high"
        attack = "T1496"
        evidence = "names"
    strings:
        $u1 = "stratum+tcp://" ascii nocase
        $u2 = "stratum+ssl://" ascii nocase
        $u3 = "stratum+tls://" ascii nocase
        $u4 = "stratum2+tcp://" ascii nocase
        $m1 = "mining.subscribe" ascii
        $m2 = "mining.authorize" ascii
        $m3 = "mining.submit" ascii
        $m4 = "mining.notify" ascii
        $m5 = "mining.set_difficulty" ascii
        $x1 = "\"method\":\"login\"" ascii
        $x2 = "\"method\":\"submit\"" ascii
        $x3 = "\"method\":\"keepalived\"" ascii
        $x4 = "keepalived" ascii fullword
        $x5 = "\"job_id\"" ascii
    condition:
        1 of ($u*) and (3 of ($m*) or 2 of ($x*))
}

rule MW_XMRig
{
    meta:
        description = "XMRig (or a rebrand): banner, options and donation pool"
        family = "xmrig"
        algorithm = "rx"
        severity = "high"
        attack = "T1496"
        evidence = "names"
    strings:
        $b1 = "XMRig" ascii
        $b2 = "xmrig.com" ascii
        $d1 = "donate.v2.xmrig.com" ascii
        $d2 = "donate.ssl.xmrig.com" ascii
        $d3 = "randomx.xmrig.com" ascii
        $o1 = "--donate-level" ascii
        $o2 = "donate-over-proxy" ascii
        $o3 = "--randomx-mode" ascii
        $o4 = "randomx-1gb-pages" ascii
        $o5 = "huge-pages-jit" ascii
        $o6 = "--cpu-max-threads-hint" ascii
        $o7 = "--nicehash" ascii
    condition:
        (1 of ($b*) and 3 of ($o*)) or (1 of ($d*) and 2 of ($o*)) or 5 of ($o*)
}

rule MW_XmrStak
{
    meta:
        description = "xmr-stak / xmr-stak-rx CPU/GPU miner"
        family = "xmr-stak"
        algorithm = "cn"
        severity = "high"
        attack = "T1496"
        evidence = "names"
    strings:
        $n1 = "xmr-stak" ascii nocase
        $n2 = "fireice-uk" ascii
        $c1 = "pool_address" ascii
        $c2 = "wallet_address" ascii
        $c3 = "rig_id" ascii
        $c4 = "use_nicehash" ascii
        $c5 = "currency" ascii
        $c6 = "donate-level" ascii
    condition:
        1 of ($n*) and 3 of ($c*)
}

rule MW_GPU_Miner_Brands
{
    meta:
        description = "Closed-source GPU miners (T-Rex, lolMiner, NBMiner, GMiner, TeamRedMiner, PhoenixMiner, SRBMiner, nanominer) with their developer-fee/pool strings"
        family = "gpu-miner"
        algorithm = "multi"
        severity = "high"
        attack = "T1496"
        evidence = "names"
    strings:
        $t1 = "T-Rex NVIDIA GPU miner" ascii nocase
        $t2 = "trex-miner" ascii nocase
        $l1 = "lolMiner" ascii
        $nb = "NBMiner" ascii
        $g1 = "GMiner" ascii fullword
        $tr = "TeamRedMiner" ascii nocase
        $ph = "PhoenixMiner" ascii
        $sr = "SRBMiner" ascii
        $na = "nanominer" ascii
        $ccm = "ccminer" ascii fullword
        $cg = "cgminer" ascii fullword
        $bfg = "bfgminer" ascii fullword
        $cpu = "cpuminer" ascii fullword
        $f1 = "devfee" ascii nocase
        $f2 = "dev-fee" ascii nocase
        $f3 = "stratum+tcp://" ascii nocase
        $f4 = "stratum+ssl://" ascii nocase
        $f5 = "--algo" ascii
        $f6 = "mining.subscribe" ascii
        $f7 = "eth_submitLogin" ascii
    condition:
        1 of ($t*, $l1, $nb, $g1, $tr, $ph, $sr, $na, $ccm, $cg, $bfg, $cpu) and 2 of ($f*)
}

rule MW_Pool_And_Donation_Hosts
{
    meta:
        description = "Several well-known mining-pool or miner donation hosts in one process"
        family = "pool-hosts"
        algorithm = "any"
        severity = "medium"
        attack = "T1496"
        evidence = "names"
    strings:
        $p1 = "pool.minexmr.com" ascii nocase
        $p2 = "xmr.nanopool.org" ascii nocase
        $p3 = "pool.supportxmr.com" ascii nocase
        $p4 = "gulf.moneroocean.stream" ascii nocase
        $p5 = "xmr.2miners.com" ascii nocase
        $p6 = "xmr.f2pool.com" ascii nocase
        $p7 = "pool.hashvault.pro" ascii nocase
        $p8 = "c3pool.com" ascii nocase
        $p9 = "herominers.com" ascii nocase
        $p10 = "donate.v2.xmrig.com" ascii nocase
        $p11 = "xmrpool.eu" ascii nocase
        $p12 = "monerohash.com" ascii nocase
        $p13 = "ethermine.org" ascii nocase
        $p14 = "nicehash.com" ascii nocase
        $p15 = "unmineable.com" ascii nocase
    condition:
        3 of them
}

// Algorithm-id tables of multi-algorithm CPU miners (CryptoNight variants, Argon2/Chukwa, RandomX
// forks, KawPow, AstroBWT, GhostRider). Names, not proof of work: public detection rules list the
// same ids (Elastic's "Potential Coin Miner Execution" behaviour rule matches all three), so a
// SIEM or EDR agent, an editor or a shell holding such a rule or a miner's config matches too.
// Until 2026-12 these three were in pow_cryptonight.yar as proof_of_work.

rule MW_CryptoNight_Family_Algorithms
{
    meta:
        description = "Table of CryptoNight variant names as kept by multi-algorithm CPU miners"
        family = "cryptonight"
        algorithm = "cn"
        severity = "high"
        attack = "T1496"
        evidence = "names"
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
        evidence = "names"
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
        evidence = "names"
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
