package config

// RNG streams drawn from Config.Seed: one each for the initialization, the
// shuffling and the augmentation, so that turning one on does not change
// what the others draw.
const (
	StreamInit    = 0x9e3779b97f4a7c15
	StreamShuffle = 0xd1b54a32d192ed03
	StreamAugment = 0x8cb92ba72f3d8dd7
	// StreamInPlace draws epoch e's in-place augmentation
	// (Config.AugmentInPlace) from the PCG (Seed+e, StreamInPlace): any
	// epoch's is drawn again from the seed alone, so a resumed run
	// rebuilds the corrupted images without them in its checkpoint.
	StreamInPlace = 0x4f1bbcdcbfa53e0b
)
