// minerwatch — SPDX-License-Identifier: Apache-2.0
// CryptoNight (cn/0..cn/2, cn/r): the algorithm's own parameters in its code. The algorithm-id
// tables multi-algorithm miners carry (cn/half, rx/wow, argon2/chukwa...) are names and live in
// miner_strings.yar: public detection rules, miner configs and logs list the same ids.

rule MW_CryptoNight_Main_Loop
{
    meta:
        description = "CryptoNight main loop: 2^19 iterations (mov r32, 0x80000) and the 2 MiB scratchpad index mask (and r32, 0x1FFFF0) in x86-64 code"
        family = "cryptonight"
        algorithm = "cn"
        severity = "high"
        attack = "T1496"
        evidence = "proof_of_work"
    strings:
        // CryptoNight (cn/0..cn/2, cn/r; Monero's slow-hash.c and XMRig's cn code): the loop count
        // ITER/2 = 0x80000 loaded into a 32-bit register (mov r32, imm32; a REX prefix for
        // r8d-r15d comes before it), then, within 128 bytes, the scratchpad offset masked to
        // MEMORY - 16 = 0x1FFFF0 (and eax, imm32 / and r32, imm32).
        $loop = { (B8|B9|BA|BB|BC|BD|BE|BF) 00 00 08 00 [0-128]
                  (25 | 81 (E0|E1|E2|E3|E4|E5|E6|E7)) F0 FF 1F 00 }
    condition:
        $loop
}
