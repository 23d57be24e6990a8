package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// checkPickle walks the opcodes of the pickle in p up to its STOP opcode
// and reports an error if an opcode is unknown or an argument runs past
// the end of p.
//
// gopickle allocates the buffer for a length-prefixed argument before it
// reads it, so a corrupt length of, say, 2^40 bytes would make it ask for
// a terabyte, which the Go runtime treats as a fatal error rather than a
// panic that could be recovered. Checking every length against the bytes
// actually present first bounds all allocations by the input size. This
// walk builds no objects; decoding is left to gopickle.
func checkPickle(p []byte) error {
	i := 0
	for i < len(p) {
		op := p[i]
		at := i
		i++
		need := 0 // bytes of argument following the opcode
		switch op {
		case '(', '.', '0', '1', '2', 'N', 0x88, 0x89, 'R', 'b', 't', ')', 0x85, 0x86, 0x87,
			']', 'a', 'e', 'l', '}', 'd', 's', 'u', 0x8f, 0x90, 0x91, 0x81, 0x92, 0x93, 0x94,
			'Q', 'o', 0x97, 0x98:
			// No argument.
		case 'K', 'h', 'q', 0x80, 0x82: // BININT1, BINGET, BINPUT, PROTO, EXT1
			need = 1
		case 'M', 0x83: // BININT2, EXT2
			need = 2
		case 'J', 'j', 'r', 0x84: // BININT, LONG_BINGET, LONG_BINPUT, EXT4
			need = 4
		case 'G': // BINFLOAT
			need = 8
		case 0x95: // FRAME: the size covers the opcodes that follow.
			n, err := lengthArg(p, at, i, 8)
			if err != nil {
				return err
			}
			i += 8
			if n > uint64(len(p)-i) {
				return truncated(at, op, n, len(p)-i)
			}
			continue
		case 'I', 'L', 'F', 'S', 'V', 'P', 'g', 'p': // one text line
			n, err := lines(p, at, i, 1)
			if err != nil {
				return err
			}
			i += n
			continue
		case 'c', 'i': // GLOBAL, INST: module and name lines
			n, err := lines(p, at, i, 2)
			if err != nil {
				return err
			}
			i += n
			continue
		case 'U', 'C', 0x8c, 0x8a: // SHORT_BINSTRING, SHORT_BINBYTES, SHORT_BINUNICODE, LONG1
			need = 1
		case 'T', 'B', 'X', 0x8b: // BINSTRING, BINBYTES, BINUNICODE, LONG4
			need = 4
		case 0x8d, 0x8e, 0x96: // BINUNICODE8, BINBYTES8, BYTEARRAY8
			need = 8
		default:
			return fmt.Errorf("offset %d: unknown pickle opcode 0x%02x", at, op)
		}
		switch op {
		case 'U', 'C', 0x8c, 0x8a, 'T', 'B', 'X', 0x8b, 0x8d, 0x8e, 0x96:
			// need is the width of a length prefix; the payload follows.
			n, err := lengthArg(p, at, i, need)
			if err != nil {
				return err
			}
			i += need
			if n > uint64(len(p)-i) {
				return truncated(at, op, n, len(p)-i)
			}
			i += int(n)
			continue
		}
		if need > len(p)-i {
			return truncated(at, op, uint64(need), len(p)-i)
		}
		i += need
		if op == '.' {
			return nil
		}
	}
	return fmt.Errorf("offset %d: pickle ends without a STOP opcode", len(p))
}

// lengthArg decodes the little-endian length prefix of width w at p[i:].
// The prefixes of BINSTRING and LONG4 are signed; a negative one is
// reported as an error by gopickle, and here as a huge length.
func lengthArg(p []byte, at, i, w int) (uint64, error) {
	if w > len(p)-i {
		return 0, truncated(at, p[at], uint64(w), len(p)-i)
	}
	switch w {
	case 1:
		return uint64(p[i]), nil
	case 4:
		return uint64(binary.LittleEndian.Uint32(p[i:])), nil
	default:
		return binary.LittleEndian.Uint64(p[i:]), nil
	}
}

// lines returns the length of the k newline-terminated lines at p[i:].
func lines(p []byte, at, i, k int) (int, error) {
	n := 0
	for range k {
		j := bytes.IndexByte(p[i+n:], '\n')
		if j < 0 {
			return 0, fmt.Errorf("offset %d: pickle opcode 0x%02x: truncated text argument", at, p[at])
		}
		n += j + 1
	}
	return n, nil
}

func truncated(at int, op byte, need uint64, left int) error {
	return fmt.Errorf("offset %d: pickle opcode 0x%02x needs %d bytes, %d left: truncated or corrupt", at, op, need, left)
}
