#include "textflag.h"

// Sexp8: math32.Exp (github.com/chewxy/math32, exp_amd64.s) on 8 lanes at a
// time with AVX2. Each step is that routine's scalar SSE instruction as a
// packed one, with its operands in the same order, and its branches as
// masks, so every lane gets the scalar routine's bits (TestSexpAsMath32).

#define SPLAT(name, v) DATA name<>+0(SB)/4, $v; DATA name<>+4(SB)/4, $v; DATA name<>+8(SB)/4, $v; DATA name<>+12(SB)/4, $v; DATA name<>+16(SB)/4, $v; DATA name<>+20(SB)/4, $v; DATA name<>+24(SB)/4, $v; DATA name<>+28(SB)/4, $v; GLOBL name<>(SB), RODATA|NOPTR, $32

SPLAT(expLog2e, 0x3FB8AA3B)  // 1.44269502162933349609375 (LOG2E)
SPLAT(expLn2u, 0x3F317200)   // 0.693145751953125 (LN2U)
SPLAT(expLn2l, 0x35BFBE8E)   // 1.428606765330187045e-06 (LN2L)
SPLAT(expSixteenth, 0x3D800000) // 0.0625
SPLAT(expT4, 0x3C09116B)     // 0.00836596917361021041870117
SPLAT(expT3, 0x3D2AAF4C)     // 0.0416710823774337768554688
SPLAT(expT2, 0x3E2AAA5E)     // 0.166665524244308471679688
SPLAT(expT1, 0x3F000000)     // 0.5
SPLAT(expOne, 0x3F800000)    // 1.0
SPLAT(expTwo, 0x40000000)    // 2.0
SPLAT(expBias, 0x7F)         // 127
SPLAT(expMaxBiased, 0xFE)    // 254: a biased exponent above it overflows
SPLAT(expAbs, 0x7FFFFFFF)
SPLAT(expMaxFinite, 0x7F7FFFFF)
SPLAT(expPosInf, 0x7F800000)
SPLAT(expNegInf, 0xFF800000)

// func Sexp8(n8 int, x, dst *float32)
TEXT ·Sexp8(SB), NOSPLIT, $0-24
	MOVQ n8+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ dst+16(FP), DI
	VPXOR Y5, Y5, Y5
	TESTQ CX, CX
	JZ    sexp_done

sexp_loop:
	VMOVUPS   (SI), Y0                   // x
	VMULPS    expLog2e<>(SB), Y0, Y1     // LOG2E·x
	VCVTPS2DQ Y1, Y3                     // k, rounded as MXCSR says (CVTSS2SL)
	VCVTDQ2PS Y3, Y1                     // float(k)
	VMULPS    expLn2u<>(SB), Y1, Y2
	VSUBPS    Y2, Y0, Y4                 // x − k·LN2U
	VMULPS    expLn2l<>(SB), Y1, Y2
	VSUBPS    Y2, Y4, Y4                 // − k·LN2L
	VMULPS    expSixteenth<>(SB), Y4, Y4 // r
	// The polynomial as the scalar routine evaluates it: its register
	// still holds float(k) when T4 is added.
	VADDPS    expT4<>(SB), Y1, Y1
	VMULPS    Y4, Y1, Y1
	VADDPS    expT3<>(SB), Y1, Y1
	VMULPS    Y4, Y1, Y1
	VADDPS    expT2<>(SB), Y1, Y1
	VMULPS    Y4, Y1, Y1
	VADDPS    expT1<>(SB), Y1, Y1
	VMULPS    Y4, Y1, Y1
	VADDPS    expOne<>(SB), Y1, Y1
	VMULPS    Y1, Y4, Y4
	VADDPS    expTwo<>(SB), Y4, Y1       // four squarings: y·(y + 2)
	VMULPS    Y1, Y4, Y4
	VADDPS    expTwo<>(SB), Y4, Y1
	VMULPS    Y1, Y4, Y4
	VADDPS    expTwo<>(SB), Y4, Y1
	VMULPS    Y1, Y4, Y4
	VADDPS    expTwo<>(SB), Y4, Y1
	VMULPS    Y1, Y4, Y4
	VADDPS    expOne<>(SB), Y4, Y4
	// times 2^k: k + 127 ≤ 0 underflows to 0, above 254 overflows to +Inf.
	VPADDD    expBias<>(SB), Y3, Y3
	VPSLLD    $23, Y3, Y2
	VMULPS    Y2, Y4, Y4
	VPCMPGTD  Y5, Y3, Y2                 // k + 127 > 0
	VPAND     Y2, Y4, Y4
	VPCMPGTD  expMaxBiased<>(SB), Y3, Y2 // k + 127 > 254
	VBLENDVPS Y2, expPosInf<>(SB), Y4, Y4
	// NaN and ±Inf, tested first by the scalar routine: −Inf gives 0,
	// NaN and +Inf themselves.
	VPAND     expAbs<>(SB), Y0, Y2
	VPCMPGTD  expMaxFinite<>(SB), Y2, Y2 // not finite
	VPCMPEQD  expNegInf<>(SB), Y0, Y3
	VPANDN    Y0, Y3, Y1                 // x, 0 where −Inf
	VBLENDVPS Y2, Y1, Y4, Y4
	VMOVUPS   Y4, (DI)
	ADDQ      $32, SI
	ADDQ      $32, DI
	DECQ      CX
	JNZ       sexp_loop

sexp_done:
	VZEROUPPER
	RET

// Dexp4: math.Exp (Go's math/exp_amd64.s, its FMA path: Sexp8 and the
// scalar Exp need AVX2 and FMA alike) on 4 lanes at a time, as Sexp8 does
// for math32.Exp (TestDexpAsMath).

#define SPLAT64(name, v) DATA name<>+0(SB)/8, $v; DATA name<>+8(SB)/8, $v; DATA name<>+16(SB)/8, $v; DATA name<>+24(SB)/8, $v; GLOBL name<>(SB), RODATA|NOPTR, $32

SPLAT64(dexpLog2e, 0x3FF71547652B82FE)     // LOG2E
SPLAT64(dexpLn2u, 0x3FE62E42FEFA3000)      // LN2U
SPLAT64(dexpLn2l, 0x3D53DE6AF278ECE6)      // LN2L
SPLAT64(dexpSixteenth, 0x3FB0000000000000) // 0.0625
SPLAT64(dexpOverflow, 0x40862E42FEFA39EF)  // 7.09782712893384e+02
SPLAT64(dexpC0, 0x3FE0000000000000)        // 0.5
SPLAT64(dexpOne, 0x3FF0000000000000)       // 1.0
SPLAT64(dexpTwo, 0x4000000000000000)       // 2.0
SPLAT64(dexpC24, 0x3FC5555555555555)       // 1.6666666666666666667e-1
SPLAT64(dexpC32, 0x3FA5555555555555)       // 4.1666666666666666667e-2
SPLAT64(dexpC40, 0x3F81111111111111)       // 8.3333333333333333333e-3
SPLAT64(dexpC48, 0x3F56C16C16C16C17)       // 1.3888888888888888889e-3
SPLAT64(dexpC56, 0x3F2A01A01A01A01A)       // 1.9841269841269841270e-4
SPLAT64(dexpC64, 0x3EFA01A01A01A01A)       // 2.4801587301587301587e-5
SPLAT64(dexpBias, 0x3FF)                   // 1023
SPLAT64(dexpBiasLess1, 0x3FE)              // 1022
SPLAT64(dexpMaxBiased, 0x7FE)              // 2046: above it overflows
SPLAT64(dexpMinBiased, 0xFFFFFFFFFFFFFFCB) // −53: at or below it underflows
SPLAT64(dexpTiny, 0x0010000000000000)      // 2^−1022
SPLAT64(dexpAbs, 0x7FFFFFFFFFFFFFFF)
SPLAT64(dexpMaxFinite, 0x7FEFFFFFFFFFFFFF)
SPLAT64(dexpPosInf, 0x7FF0000000000000)
SPLAT64(dexpNegInf, 0xFFF0000000000000)

// func Dexp4(n4 int, x, dst *float64)
TEXT ·Dexp4(SB), NOSPLIT, $0-24
	MOVQ n4+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ dst+16(FP), DI
	VPXOR Y5, Y5, Y5
	TESTQ CX, CX
	JZ    dexp_done

dexp_loop:
	VMOVUPD      (SI), Y0                    // x
	VMULPD       dexpLog2e<>(SB), Y0, Y1     // LOG2E·x
	VCVTPD2DQY   Y1, X3                      // k, rounded as MXCSR says (CVTSD2SL)
	VCVTDQ2PD    X3, Y1                      // float(k)
	VMOVAPD      Y0, Y4
	VMOVUPD      dexpLn2u<>(SB), Y2
	VFNMADD231PD Y2, Y1, Y4                  // x − k·LN2U, fused
	VMOVUPD      dexpLn2l<>(SB), Y2
	VFNMADD231PD Y2, Y1, Y4                  // − k·LN2L, fused
	VMULPD       dexpSixteenth<>(SB), Y4, Y4 // r
	VMOVUPD      dexpC64<>(SB), Y1
	VFMADD213PD  dexpC56<>(SB), Y4, Y1
	VFMADD213PD  dexpC48<>(SB), Y4, Y1
	VFMADD213PD  dexpC40<>(SB), Y4, Y1
	VFMADD213PD  dexpC32<>(SB), Y4, Y1
	VFMADD213PD  dexpC24<>(SB), Y4, Y1
	VFMADD213PD  dexpC0<>(SB), Y4, Y1
	VFMADD213PD  dexpOne<>(SB), Y4, Y1
	VMULPD       Y1, Y4, Y4
	VADDPD       dexpTwo<>(SB), Y4, Y1       // squarings: y·(y + 2)
	VMULPD       Y1, Y4, Y4
	VADDPD       dexpTwo<>(SB), Y4, Y1
	VMULPD       Y1, Y4, Y4
	VADDPD       dexpTwo<>(SB), Y4, Y1
	VMULPD       Y1, Y4, Y4
	VADDPD       dexpTwo<>(SB), Y4, Y1
	VFMADD213PD  dexpOne<>(SB), Y1, Y4       // the last one plus 1, fused
	// times 2^k, t = k + 1023: t in (0, 2047) directly; t in [−52, 0]
	// (subnormal) as (y·2^(t+1022−1023))·2^−1022; below 0, above +Inf.
	VPMOVSXDQ    X3, Y3
	VPADDQ       dexpBias<>(SB), Y3, Y3      // t
	VPSLLQ       $52, Y3, Y2
	VMULPD       Y2, Y4, Y6                  // normal
	VPADDQ       dexpBiasLess1<>(SB), Y3, Y2
	VPSLLQ       $52, Y2, Y2
	VMULPD       Y2, Y4, Y7
	VMULPD       dexpTiny<>(SB), Y7, Y7      // subnormal
	VPCMPGTQ     Y5, Y3, Y2                  // t > 0
	VBLENDVPD    Y2, Y6, Y7, Y4
	VPCMPGTQ     dexpMinBiased<>(SB), Y3, Y2 // t > −53
	VPAND        Y2, Y4, Y4
	VPCMPGTQ     dexpMaxBiased<>(SB), Y3, Y2 // t > 2046
	VBLENDVPD    Y2, dexpPosInf<>(SB), Y4, Y4
	// x above Overflow, tested before the reduction: +Inf.
	VCMPPD       $0x1e, dexpOverflow<>(SB), Y0, Y2 // x > Overflow, ordered
	VBLENDVPD    Y2, dexpPosInf<>(SB), Y4, Y4
	// NaN and ±Inf, tested first: −Inf gives 0, NaN and +Inf themselves.
	VPAND        dexpAbs<>(SB), Y0, Y2
	VPCMPGTQ     dexpMaxFinite<>(SB), Y2, Y2 // not finite
	VPCMPEQQ     dexpNegInf<>(SB), Y0, Y3
	VPANDN       Y0, Y3, Y1                  // x, 0 where −Inf
	VBLENDVPD    Y2, Y1, Y4, Y4
	VMOVUPD      Y4, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	DECQ         CX
	JNZ          dexp_loop

dexp_done:
	VZEROUPPER
	RET
