#include "textflag.h"

// AVX-512 kernels for the wide products of a stack (package graph, kernels.go):
// per entry the same sums, in the same order, as the AVX2 kernels of kernels_amd64.s,
// with 32 registers instead of 16 so that each load feeds more multiply-adds.

// Z12–Z31 cleared: the accumulators of the NT kernels (8 rows × 5 columns in
// 20 registers) and of the TN kernels (5 rows × 4 registers).
#define ZERO_ACC \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23; \
	VPXORD Z24, Z24, Z24; \
	VPXORD Z25, Z25, Z25; \
	VPXORD Z26, Z26, Z26; \
	VPXORD Z27, Z27, Z27; \
	VPXORD Z28, Z28, Z28; \
	VPXORD Z29, Z29, Z29; \
	VPXORD Z30, Z30, Z30; \
	VPXORD Z31, Z31, Z31

// One step l of the TN kernels' chains: 4 registers of row l of b (DI)
// times each of the 5 values of row l of a (SI, E1…E4 the byte offsets of
// the 2nd to 5th) into Z12–Z31, then both pointers to row l + 1. The Z
// kernels store or add the sums, the U kernels update w from them.
#define TN5_STEP(MOVU, BCAST, FMA, E1, E2, E3, E4) \
	MOVU 0(DI), Z0; \
	MOVU 64(DI), Z1; \
	MOVU 128(DI), Z2; \
	MOVU 192(DI), Z3; \
	BCAST 0(SI), Z4; \
	FMA Z0, Z4, Z12; \
	FMA Z1, Z4, Z13; \
	FMA Z2, Z4, Z14; \
	FMA Z3, Z4, Z15; \
	BCAST E1(SI), Z5; \
	FMA Z0, Z5, Z16; \
	FMA Z1, Z5, Z17; \
	FMA Z2, Z5, Z18; \
	FMA Z3, Z5, Z19; \
	BCAST E2(SI), Z6; \
	FMA Z0, Z6, Z20; \
	FMA Z1, Z6, Z21; \
	FMA Z2, Z6, Z22; \
	FMA Z3, Z6, Z23; \
	BCAST E3(SI), Z7; \
	FMA Z0, Z7, Z24; \
	FMA Z1, Z7, Z25; \
	FMA Z2, Z7, Z26; \
	FMA Z3, Z7, Z27; \
	BCAST E4(SI), Z8; \
	FMA Z0, Z8, Z28; \
	FMA Z1, Z8, Z29; \
	FMA Z2, Z8, Z30; \
	FMA Z3, Z8, Z31; \
	ADDQ R8, SI; \
	ADDQ R9, DI
#define TN5x64_STEP TN5_STEP(VMOVUPS, VBROADCASTSS, VFMADD231PS, 4, 8, 12, 16)
#define TN5x32_STEP TN5_STEP(VMOVUPD, VBROADCASTSD, VFMADD231PD, 8, 16, 24, 32)

// The U kernels' update of one row of w (DX) from its 4 accumulators A0–A3
// (Z0 zero, E the byte offset of the row's sa and sb): sums + 0, then
// sa·w + sb·sums with each product rounded, SscaleAxpy's operand order.
#define TN5_UPDATE(BCAST, ADD, MUL, MOVU, E, A0, A1, A2, A3) \
	BCAST E(R11), Z1; \
	BCAST E(R12), Z2; \
	ADD Z0, A0, A0; \
	MUL 0(DX), Z1, Z3; \
	MUL A0, Z2, A0; \
	ADD A0, Z3, Z3; \
	MOVU Z3, 0(DX); \
	ADD Z0, A1, A1; \
	MUL 64(DX), Z1, Z3; \
	MUL A1, Z2, A1; \
	ADD A1, Z3, Z3; \
	MOVU Z3, 64(DX); \
	ADD Z0, A2, A2; \
	MUL 128(DX), Z1, Z3; \
	MUL A2, Z2, A2; \
	ADD A2, Z3, Z3; \
	MOVU Z3, 128(DX); \
	ADD Z0, A3, A3; \
	MUL 192(DX), Z1, Z3; \
	MUL A3, Z2, A3; \
	ADD A3, Z3, Z3; \
	MOVU Z3, 192(DX)
#define TN5x64_UPDATE(E, A0, A1, A2, A3) TN5_UPDATE(VBROADCASTSS, VADDPS, VMULPS, VMOVUPS, E, A0, A1, A2, A3)
#define TN5x32_UPDATE(E, A0, A1, A2, A3) TN5_UPDATE(VBROADCASTSD, VADDPD, VMULPD, VMOVUPD, E, A0, A1, A2, A3)

// func Pack8Rows(kw int, a unsafe.Pointer, lda int, dst unsafe.Pointer)
// Copies kw chunks of 32 bytes of 8 rows (row i at a + i·lda bytes) to dst, chunk c of the
// pair of rows 2q, 2q+1 at dst + 256c + 64q: that of row 2q, then that of row 2q+1.
TEXT ·Pack8Rows(SB), NOSPLIT, $0-32
	MOVQ kw+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	LEAQ (R8)(R8*2), R9 // 3·lda
	LEAQ (R8)(R8*4), R10 // 5·lda
	LEAQ (R9)(R8*4), R11 // 7·lda
	MOVQ dst+24(FP), DI
	TESTQ CX, CX
	JZ    pack8_done

pack8_loop:
	VMOVUPS (SI), Y0
	VMOVUPS (SI)(R8*1), Y1
	VMOVUPS (SI)(R8*2), Y2
	VMOVUPS (SI)(R9*1), Y3
	VMOVUPS (SI)(R8*4), Y4
	VMOVUPS (SI)(R10*1), Y5
	VMOVUPS (SI)(R9*2), Y6
	VMOVUPS (SI)(R11*1), Y7
	VMOVUPS Y0, 0(DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	VMOVUPS Y4, 128(DI)
	VMOVUPS Y5, 160(DI)
	VMOVUPS Y6, 192(DI)
	VMOVUPS Y7, 224(DI)
	ADDQ $32, SI
	ADDQ $256, DI
	DECQ CX
	JNZ  pack8_loop

pack8_done:
	VZEROUPPER
	RET

// func SgemmNT8x5(kw int, ap *float32, b *float32, ldb int, out *[320]float32, carry bool)
// out[16(5q+j) : 16(5q+j)+16] = the 8 lane sums of Σ_l a_(2q)[l]·b_j[l], then those of
// a_(2q+1), q < 4, j < 5, over kw chunks of 8; ap holds the 8 rows a_i packed by Pack8Rows,
// b_j = b + j·ldb elements. With carry the lane sums start from out's instead of zero:
// kw chunks after others, the same chains of fused multiply-adds as in one call.
TEXT ·SgemmNT8x5(SB), NOSPLIT, $0-41
	MOVQ kw+0(FP), CX
	MOVQ ap+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R12
	SHLQ $2, R12
	LEAQ (R12)(R12*2), R13 // 3·ldb
	MOVQ out+32(FP), DX
	MOVBLZX carry+40(FP), AX
	TESTB AL, AL
	JNZ   SgemmNT8x5_load
	ZERO_ACC
	JMP   SgemmNT8x5_start

SgemmNT8x5_load:
	VMOVUPS 0(DX), Z12
	VMOVUPS 64(DX), Z13
	VMOVUPS 128(DX), Z14
	VMOVUPS 192(DX), Z15
	VMOVUPS 256(DX), Z16
	VMOVUPS 320(DX), Z17
	VMOVUPS 384(DX), Z18
	VMOVUPS 448(DX), Z19
	VMOVUPS 512(DX), Z20
	VMOVUPS 576(DX), Z21
	VMOVUPS 640(DX), Z22
	VMOVUPS 704(DX), Z23
	VMOVUPS 768(DX), Z24
	VMOVUPS 832(DX), Z25
	VMOVUPS 896(DX), Z26
	VMOVUPS 960(DX), Z27
	VMOVUPS 1024(DX), Z28
	VMOVUPS 1088(DX), Z29
	VMOVUPS 1152(DX), Z30
	VMOVUPS 1216(DX), Z31

SgemmNT8x5_start:
	TESTQ CX, CX
	JZ    SgemmNT8x5_done

SgemmNT8x5_loop:
	VMOVUPS 0(SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VBROADCASTF32X8 (DI), Z4
	VFMADD231PS Z4, Z0, Z12
	VFMADD231PS Z4, Z1, Z17
	VFMADD231PS Z4, Z2, Z22
	VFMADD231PS Z4, Z3, Z27
	VBROADCASTF32X8 (DI)(R12*1), Z5
	VFMADD231PS Z5, Z0, Z13
	VFMADD231PS Z5, Z1, Z18
	VFMADD231PS Z5, Z2, Z23
	VFMADD231PS Z5, Z3, Z28
	VBROADCASTF32X8 (DI)(R12*2), Z6
	VFMADD231PS Z6, Z0, Z14
	VFMADD231PS Z6, Z1, Z19
	VFMADD231PS Z6, Z2, Z24
	VFMADD231PS Z6, Z3, Z29
	VBROADCASTF32X8 (DI)(R13*1), Z7
	VFMADD231PS Z7, Z0, Z15
	VFMADD231PS Z7, Z1, Z20
	VFMADD231PS Z7, Z2, Z25
	VFMADD231PS Z7, Z3, Z30
	VBROADCASTF32X8 (DI)(R12*4), Z8
	VFMADD231PS Z8, Z0, Z16
	VFMADD231PS Z8, Z1, Z21
	VFMADD231PS Z8, Z2, Z26
	VFMADD231PS Z8, Z3, Z31
	ADDQ $256, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  SgemmNT8x5_loop

SgemmNT8x5_done:
	VMOVUPS Z12, 0(DX)
	VMOVUPS Z13, 64(DX)
	VMOVUPS Z14, 128(DX)
	VMOVUPS Z15, 192(DX)
	VMOVUPS Z16, 256(DX)
	VMOVUPS Z17, 320(DX)
	VMOVUPS Z18, 384(DX)
	VMOVUPS Z19, 448(DX)
	VMOVUPS Z20, 512(DX)
	VMOVUPS Z21, 576(DX)
	VMOVUPS Z22, 640(DX)
	VMOVUPS Z23, 704(DX)
	VMOVUPS Z24, 768(DX)
	VMOVUPS Z25, 832(DX)
	VMOVUPS Z26, 896(DX)
	VMOVUPS Z27, 960(DX)
	VMOVUPS Z28, 1024(DX)
	VMOVUPS Z29, 1088(DX)
	VMOVUPS Z30, 1152(DX)
	VMOVUPS Z31, 1216(DX)
	VZEROUPPER
	RET

// func DgemmNT8x5(kw int, ap *float64, b *float64, ldb int, out *[160]float64, carry bool)
// out[8(5q+j) : 8(5q+j)+8] = the 4 lane sums of Σ_l a_(2q)[l]·b_j[l], then those of
// a_(2q+1), q < 4, j < 5, over kw chunks of 4; ap holds the 8 rows a_i packed by Pack8Rows,
// b_j = b + j·ldb elements. With carry the lane sums start from out's instead of zero:
// kw chunks after others, the same chains of fused multiply-adds as in one call.
TEXT ·DgemmNT8x5(SB), NOSPLIT, $0-41
	MOVQ kw+0(FP), CX
	MOVQ ap+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ ldb+24(FP), R12
	SHLQ $3, R12
	LEAQ (R12)(R12*2), R13 // 3·ldb
	MOVQ out+32(FP), DX
	MOVBLZX carry+40(FP), AX
	TESTB AL, AL
	JNZ   DgemmNT8x5_load
	ZERO_ACC
	JMP   DgemmNT8x5_start

DgemmNT8x5_load:
	VMOVUPD 0(DX), Z12
	VMOVUPD 64(DX), Z13
	VMOVUPD 128(DX), Z14
	VMOVUPD 192(DX), Z15
	VMOVUPD 256(DX), Z16
	VMOVUPD 320(DX), Z17
	VMOVUPD 384(DX), Z18
	VMOVUPD 448(DX), Z19
	VMOVUPD 512(DX), Z20
	VMOVUPD 576(DX), Z21
	VMOVUPD 640(DX), Z22
	VMOVUPD 704(DX), Z23
	VMOVUPD 768(DX), Z24
	VMOVUPD 832(DX), Z25
	VMOVUPD 896(DX), Z26
	VMOVUPD 960(DX), Z27
	VMOVUPD 1024(DX), Z28
	VMOVUPD 1088(DX), Z29
	VMOVUPD 1152(DX), Z30
	VMOVUPD 1216(DX), Z31

DgemmNT8x5_start:
	TESTQ CX, CX
	JZ    DgemmNT8x5_done

DgemmNT8x5_loop:
	VMOVUPD 0(SI), Z0
	VMOVUPD 64(SI), Z1
	VMOVUPD 128(SI), Z2
	VMOVUPD 192(SI), Z3
	VBROADCASTF64X4 (DI), Z4
	VFMADD231PD Z4, Z0, Z12
	VFMADD231PD Z4, Z1, Z17
	VFMADD231PD Z4, Z2, Z22
	VFMADD231PD Z4, Z3, Z27
	VBROADCASTF64X4 (DI)(R12*1), Z5
	VFMADD231PD Z5, Z0, Z13
	VFMADD231PD Z5, Z1, Z18
	VFMADD231PD Z5, Z2, Z23
	VFMADD231PD Z5, Z3, Z28
	VBROADCASTF64X4 (DI)(R12*2), Z6
	VFMADD231PD Z6, Z0, Z14
	VFMADD231PD Z6, Z1, Z19
	VFMADD231PD Z6, Z2, Z24
	VFMADD231PD Z6, Z3, Z29
	VBROADCASTF64X4 (DI)(R13*1), Z7
	VFMADD231PD Z7, Z0, Z15
	VFMADD231PD Z7, Z1, Z20
	VFMADD231PD Z7, Z2, Z25
	VFMADD231PD Z7, Z3, Z30
	VBROADCASTF64X4 (DI)(R12*4), Z8
	VFMADD231PD Z8, Z0, Z16
	VFMADD231PD Z8, Z1, Z21
	VFMADD231PD Z8, Z2, Z26
	VFMADD231PD Z8, Z3, Z31
	ADDQ $256, SI
	ADDQ $32, DI
	DECQ CX
	JNZ  DgemmNT8x5_loop

DgemmNT8x5_done:
	VMOVUPD Z12, 0(DX)
	VMOVUPD Z13, 64(DX)
	VMOVUPD Z14, 128(DX)
	VMOVUPD Z15, 192(DX)
	VMOVUPD Z16, 256(DX)
	VMOVUPD Z17, 320(DX)
	VMOVUPD Z18, 384(DX)
	VMOVUPD Z19, 448(DX)
	VMOVUPD Z20, 512(DX)
	VMOVUPD Z21, 576(DX)
	VMOVUPD Z22, 640(DX)
	VMOVUPD Z23, 704(DX)
	VMOVUPD Z24, 768(DX)
	VMOVUPD Z25, 832(DX)
	VMOVUPD Z26, 896(DX)
	VMOVUPD Z27, 960(DX)
	VMOVUPD Z28, 1024(DX)
	VMOVUPD Z29, 1088(DX)
	VMOVUPD Z30, 1152(DX)
	VMOVUPD Z31, 1216(DX)
	VZEROUPPER
	RET

// func SgemmTN5x64Z(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, store bool)
// Adds to c_r[0:64] (c_r = c + r·ldc, r < 5) the sums Σ_(l<k) a[l·lda + r]·b[l·ldb : l·ldb+64],
// each a chain of fused multiply-adds from zero over l, added to c at the end: the
// sums of the AVX2 TN kernels. With store, c_r is set to the sums plus +0 instead:
// the bits of adding them to a zeroed c.
TEXT ·SgemmTN5x64Z(SB), NOSPLIT, $0-57
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	SHLQ $2, R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R10
	SHLQ $2, R10
	ZERO_ACC
	TESTQ CX, CX
	JZ    SgemmTN5x64Z_done

SgemmTN5x64Z_loop:
	TN5x64_STEP
	DECQ CX
	JNZ  SgemmTN5x64Z_loop

SgemmTN5x64Z_done:
	MOVBQZX store+56(FP), AX
	TESTQ AX, AX
	JZ    SgemmTN5x64Z_add
	VPXORD Z0, Z0, Z0
	VADDPS Z0, Z12, Z12
	VMOVUPS Z12, 0(DX)
	VADDPS Z0, Z13, Z13
	VMOVUPS Z13, 64(DX)
	VADDPS Z0, Z14, Z14
	VMOVUPS Z14, 128(DX)
	VADDPS Z0, Z15, Z15
	VMOVUPS Z15, 192(DX)
	ADDQ R10, DX
	VADDPS Z0, Z16, Z16
	VMOVUPS Z16, 0(DX)
	VADDPS Z0, Z17, Z17
	VMOVUPS Z17, 64(DX)
	VADDPS Z0, Z18, Z18
	VMOVUPS Z18, 128(DX)
	VADDPS Z0, Z19, Z19
	VMOVUPS Z19, 192(DX)
	ADDQ R10, DX
	VADDPS Z0, Z20, Z20
	VMOVUPS Z20, 0(DX)
	VADDPS Z0, Z21, Z21
	VMOVUPS Z21, 64(DX)
	VADDPS Z0, Z22, Z22
	VMOVUPS Z22, 128(DX)
	VADDPS Z0, Z23, Z23
	VMOVUPS Z23, 192(DX)
	ADDQ R10, DX
	VADDPS Z0, Z24, Z24
	VMOVUPS Z24, 0(DX)
	VADDPS Z0, Z25, Z25
	VMOVUPS Z25, 64(DX)
	VADDPS Z0, Z26, Z26
	VMOVUPS Z26, 128(DX)
	VADDPS Z0, Z27, Z27
	VMOVUPS Z27, 192(DX)
	ADDQ R10, DX
	VADDPS Z0, Z28, Z28
	VMOVUPS Z28, 0(DX)
	VADDPS Z0, Z29, Z29
	VMOVUPS Z29, 64(DX)
	VADDPS Z0, Z30, Z30
	VMOVUPS Z30, 128(DX)
	VADDPS Z0, Z31, Z31
	VMOVUPS Z31, 192(DX)
	VZEROUPPER
	RET

SgemmTN5x64Z_add:
	VADDPS 0(DX), Z12, Z12
	VMOVUPS Z12, 0(DX)
	VADDPS 64(DX), Z13, Z13
	VMOVUPS Z13, 64(DX)
	VADDPS 128(DX), Z14, Z14
	VMOVUPS Z14, 128(DX)
	VADDPS 192(DX), Z15, Z15
	VMOVUPS Z15, 192(DX)
	ADDQ R10, DX
	VADDPS 0(DX), Z16, Z16
	VMOVUPS Z16, 0(DX)
	VADDPS 64(DX), Z17, Z17
	VMOVUPS Z17, 64(DX)
	VADDPS 128(DX), Z18, Z18
	VMOVUPS Z18, 128(DX)
	VADDPS 192(DX), Z19, Z19
	VMOVUPS Z19, 192(DX)
	ADDQ R10, DX
	VADDPS 0(DX), Z20, Z20
	VMOVUPS Z20, 0(DX)
	VADDPS 64(DX), Z21, Z21
	VMOVUPS Z21, 64(DX)
	VADDPS 128(DX), Z22, Z22
	VMOVUPS Z22, 128(DX)
	VADDPS 192(DX), Z23, Z23
	VMOVUPS Z23, 192(DX)
	ADDQ R10, DX
	VADDPS 0(DX), Z24, Z24
	VMOVUPS Z24, 0(DX)
	VADDPS 64(DX), Z25, Z25
	VMOVUPS Z25, 64(DX)
	VADDPS 128(DX), Z26, Z26
	VMOVUPS Z26, 128(DX)
	VADDPS 192(DX), Z27, Z27
	VMOVUPS Z27, 192(DX)
	ADDQ R10, DX
	VADDPS 0(DX), Z28, Z28
	VMOVUPS Z28, 0(DX)
	VADDPS 64(DX), Z29, Z29
	VMOVUPS Z29, 64(DX)
	VADDPS 128(DX), Z30, Z30
	VMOVUPS Z30, 128(DX)
	VADDPS 192(DX), Z31, Z31
	VMOVUPS Z31, 192(DX)
	VZEROUPPER
	RET

// func DgemmTN5x32Z(k int, a *float64, lda int, b *float64, ldb int, c *float64, ldc int, store bool)
// Adds to c_r[0:32] (c_r = c + r·ldc, r < 5) the sums Σ_(l<k) a[l·lda + r]·b[l·ldb : l·ldb+32],
// each a chain of fused multiply-adds from zero over l, added to c at the end: the
// sums of the AVX2 TN kernels. With store, c_r is set to the sums plus +0 instead:
// the bits of adding them to a zeroed c.
TEXT ·DgemmTN5x32Z(SB), NOSPLIT, $0-57
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $3, R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	SHLQ $3, R9
	MOVQ c+40(FP), DX
	MOVQ ldc+48(FP), R10
	SHLQ $3, R10
	ZERO_ACC
	TESTQ CX, CX
	JZ    DgemmTN5x32Z_done

DgemmTN5x32Z_loop:
	TN5x32_STEP
	DECQ CX
	JNZ  DgemmTN5x32Z_loop

DgemmTN5x32Z_done:
	MOVBQZX store+56(FP), AX
	TESTQ AX, AX
	JZ    DgemmTN5x32Z_add
	VPXORD Z0, Z0, Z0
	VADDPD Z0, Z12, Z12
	VMOVUPD Z12, 0(DX)
	VADDPD Z0, Z13, Z13
	VMOVUPD Z13, 64(DX)
	VADDPD Z0, Z14, Z14
	VMOVUPD Z14, 128(DX)
	VADDPD Z0, Z15, Z15
	VMOVUPD Z15, 192(DX)
	ADDQ R10, DX
	VADDPD Z0, Z16, Z16
	VMOVUPD Z16, 0(DX)
	VADDPD Z0, Z17, Z17
	VMOVUPD Z17, 64(DX)
	VADDPD Z0, Z18, Z18
	VMOVUPD Z18, 128(DX)
	VADDPD Z0, Z19, Z19
	VMOVUPD Z19, 192(DX)
	ADDQ R10, DX
	VADDPD Z0, Z20, Z20
	VMOVUPD Z20, 0(DX)
	VADDPD Z0, Z21, Z21
	VMOVUPD Z21, 64(DX)
	VADDPD Z0, Z22, Z22
	VMOVUPD Z22, 128(DX)
	VADDPD Z0, Z23, Z23
	VMOVUPD Z23, 192(DX)
	ADDQ R10, DX
	VADDPD Z0, Z24, Z24
	VMOVUPD Z24, 0(DX)
	VADDPD Z0, Z25, Z25
	VMOVUPD Z25, 64(DX)
	VADDPD Z0, Z26, Z26
	VMOVUPD Z26, 128(DX)
	VADDPD Z0, Z27, Z27
	VMOVUPD Z27, 192(DX)
	ADDQ R10, DX
	VADDPD Z0, Z28, Z28
	VMOVUPD Z28, 0(DX)
	VADDPD Z0, Z29, Z29
	VMOVUPD Z29, 64(DX)
	VADDPD Z0, Z30, Z30
	VMOVUPD Z30, 128(DX)
	VADDPD Z0, Z31, Z31
	VMOVUPD Z31, 192(DX)
	VZEROUPPER
	RET

DgemmTN5x32Z_add:
	VADDPD 0(DX), Z12, Z12
	VMOVUPD Z12, 0(DX)
	VADDPD 64(DX), Z13, Z13
	VMOVUPD Z13, 64(DX)
	VADDPD 128(DX), Z14, Z14
	VMOVUPD Z14, 128(DX)
	VADDPD 192(DX), Z15, Z15
	VMOVUPD Z15, 192(DX)
	ADDQ R10, DX
	VADDPD 0(DX), Z16, Z16
	VMOVUPD Z16, 0(DX)
	VADDPD 64(DX), Z17, Z17
	VMOVUPD Z17, 64(DX)
	VADDPD 128(DX), Z18, Z18
	VMOVUPD Z18, 128(DX)
	VADDPD 192(DX), Z19, Z19
	VMOVUPD Z19, 192(DX)
	ADDQ R10, DX
	VADDPD 0(DX), Z20, Z20
	VMOVUPD Z20, 0(DX)
	VADDPD 64(DX), Z21, Z21
	VMOVUPD Z21, 64(DX)
	VADDPD 128(DX), Z22, Z22
	VMOVUPD Z22, 128(DX)
	VADDPD 192(DX), Z23, Z23
	VMOVUPD Z23, 192(DX)
	ADDQ R10, DX
	VADDPD 0(DX), Z24, Z24
	VMOVUPD Z24, 0(DX)
	VADDPD 64(DX), Z25, Z25
	VMOVUPD Z25, 64(DX)
	VADDPD 128(DX), Z26, Z26
	VMOVUPD Z26, 128(DX)
	VADDPD 192(DX), Z27, Z27
	VMOVUPD Z27, 192(DX)
	ADDQ R10, DX
	VADDPD 0(DX), Z28, Z28
	VMOVUPD Z28, 0(DX)
	VADDPD 64(DX), Z29, Z29
	VMOVUPD Z29, 64(DX)
	VADDPD 128(DX), Z30, Z30
	VMOVUPD Z30, 128(DX)
	VADDPD 192(DX), Z31, Z31
	VMOVUPD Z31, 192(DX)
	VZEROUPPER
	RET


// func SgemmTN5x64U(k int, a *float32, lda int, b *float32, ldb int, w *float32, ldw int, sa, sb *[5]float32)
// Sets w_r[0:64] (w_r = w + r·ldw, r < 5) to sa[r]·w_r + sb[r]·(s_r + 0), s_r the
// sums of the Z kernel (the chain of fused multiply-adds from zero over l < k):
// the bits of that kernel's stored sums followed by the scale-axpy kernel.
TEXT ·SgemmTN5x64U(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $2, R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	SHLQ $2, R9
	MOVQ w+40(FP), DX
	MOVQ ldw+48(FP), R10
	SHLQ $2, R10
	MOVQ sa+56(FP), R11
	MOVQ sb+64(FP), R12
	ZERO_ACC
	TESTQ CX, CX
	JZ    SgemmTN5x64U_done

SgemmTN5x64U_loop:
	TN5x64_STEP
	DECQ CX
	JNZ  SgemmTN5x64U_loop

SgemmTN5x64U_done:
	VPXORD Z0, Z0, Z0
	TN5x64_UPDATE(0, Z12, Z13, Z14, Z15)
	ADDQ R10, DX
	TN5x64_UPDATE(4, Z16, Z17, Z18, Z19)
	ADDQ R10, DX
	TN5x64_UPDATE(8, Z20, Z21, Z22, Z23)
	ADDQ R10, DX
	TN5x64_UPDATE(12, Z24, Z25, Z26, Z27)
	ADDQ R10, DX
	TN5x64_UPDATE(16, Z28, Z29, Z30, Z31)
	VZEROUPPER
	RET

// func DgemmTN5x32U(k int, a *float64, lda int, b *float64, ldb int, w *float64, ldw int, sa, sb *[5]float64)
// Sets w_r[0:32] (w_r = w + r·ldw, r < 5) to sa[r]·w_r + sb[r]·(s_r + 0), s_r the
// sums of the Z kernel (the chain of fused multiply-adds from zero over l < k):
// the bits of that kernel's stored sums followed by the scale-axpy kernel.
TEXT ·DgemmTN5x32U(SB), NOSPLIT, $0-72
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R8
	SHLQ $3, R8
	MOVQ b+24(FP), DI
	MOVQ ldb+32(FP), R9
	SHLQ $3, R9
	MOVQ w+40(FP), DX
	MOVQ ldw+48(FP), R10
	SHLQ $3, R10
	MOVQ sa+56(FP), R11
	MOVQ sb+64(FP), R12
	ZERO_ACC
	TESTQ CX, CX
	JZ    DgemmTN5x32U_done

DgemmTN5x32U_loop:
	TN5x32_STEP
	DECQ CX
	JNZ  DgemmTN5x32U_loop

DgemmTN5x32U_done:
	VPXORD Z0, Z0, Z0
	TN5x32_UPDATE(0, Z12, Z13, Z14, Z15)
	ADDQ R10, DX
	TN5x32_UPDATE(8, Z16, Z17, Z18, Z19)
	ADDQ R10, DX
	TN5x32_UPDATE(16, Z20, Z21, Z22, Z23)
	ADDQ R10, DX
	TN5x32_UPDATE(24, Z24, Z25, Z26, Z27)
	ADDQ R10, DX
	TN5x32_UPDATE(32, Z28, Z29, Z30, Z31)
	VZEROUPPER
	RET
