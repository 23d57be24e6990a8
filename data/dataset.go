package data

import "fmt"

// Dimensions of a CIFAR-10 image and of a record in the binary format.
const (
	// Side is the width and height of an image in pixels.
	Side = 32
	// Channels is the number of colour planes (red, green, blue).
	Channels = 3
	// ImageSize is the number of bytes of one image: Side*Side*Channels.
	ImageSize = Side * Side * Channels
	// NumClasses is the number of classes; every label is below it.
	NumClasses = 10
	// RecordSize is the size of one record of the binary format:
	// one label byte followed by the ImageSize pixel bytes.
	RecordSize = 1 + ImageSize
)

// defaultClasses are the CIFAR-10 class names in label order, as listed
// in the official batches.meta.txt.
var defaultClasses = [NumClasses]string{
	"airplane", "automobile", "bird", "cat", "deer",
	"dog", "frog", "horse", "ship", "truck",
}

// DefaultClasses returns a new slice holding the CIFAR-10 class names in
// label order: airplane, automobile, bird, cat, deer, dog, frog, horse,
// ship, truck.
func DefaultClasses() []string {
	c := defaultClasses
	return c[:]
}

// Dataset is a set of labelled images with 8-bit pixels in the official
// channel-major layout.
type Dataset struct {
	// Name identifies the data, e.g. "data_batch_1" or
	// "data_batch_1..5[:49000]".
	Name string
	// Pixels holds Len()*ImageSize bytes; image i is
	// Pixels[i*ImageSize:(i+1)*ImageSize].
	Pixels []uint8
	// Labels holds one label per image, each below NumClasses.
	Labels []uint8
	// Classes holds the class names indexed by label, len NumClasses.
	Classes []string
}

// Len returns the number of images in d.
func (d *Dataset) Len() int { return len(d.Labels) }

// Image returns the ImageSize pixels of image i. The returned slice
// shares memory with d.Pixels.
func (d *Dataset) Image(i int) []uint8 {
	return d.Pixels[i*ImageSize : (i+1)*ImageSize : (i+1)*ImageSize]
}

// Slice returns the images from up to, but not including, to as a new
// Dataset named Name[from:to]. The result shares Pixels, Labels and
// Classes with d. Slice panics if the range is out of bounds, as slicing
// does.
func (d *Dataset) Slice(from, to int) *Dataset {
	if from < 0 || to < from || to > d.Len() {
		panic(fmt.Sprintf("data: slice [%d:%d] out of range for %d images", from, to, d.Len()))
	}
	return &Dataset{
		Name: fmt.Sprintf("%s[%d:%d]", d.Name, from, to),
		// Full slice expressions so that appending to a slice cannot
		// overwrite the images that follow it in d.
		Pixels:  d.Pixels[from*ImageSize : to*ImageSize : to*ImageSize],
		Labels:  d.Labels[from:to:to],
		Classes: d.Classes,
	}
}

// Concat returns a new Dataset with the given name holding the images of
// parts in order. Pixels and labels are copied; the class names are those
// of the first part, or DefaultClasses when there are no parts.
func Concat(name string, parts ...*Dataset) *Dataset {
	n := 0
	for _, p := range parts {
		n += p.Len()
	}
	out := &Dataset{
		Name:   name,
		Pixels: make([]uint8, 0, n*ImageSize),
		Labels: make([]uint8, 0, n),
	}
	for _, p := range parts {
		out.Pixels = append(out.Pixels, p.Pixels[:p.Len()*ImageSize]...)
		out.Labels = append(out.Labels, p.Labels...)
	}
	if len(parts) > 0 {
		out.Classes = parts[0].Classes
	} else {
		out.Classes = DefaultClasses()
	}
	return out
}
