package config

// RNG streams drawn from Config.Seed: one each for the initialization, the
// shuffling and the augmentation, so that turning one on does not change
// what the others draw.
const (
	StreamInit    = 0x9e3779b97f4a7c15
	StreamShuffle = 0xd1b54a32d192ed03
	StreamAugment = 0x8cb92ba72f3d8dd7
)
