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
