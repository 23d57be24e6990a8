package config

import "math"

// EpochEta returns the learning rate of epoch e (1-based) for the epoch
// schedules, given the previous epoch's rate. The course's exponential
// decay is kept as its repeated multiplication (eta *= decay), not as a
// power, so that runs match its arithmetic bit for bit.
func (c *Config) EpochEta(e int, prev float64) float64 {
	switch c.Schedule {
	case "step":
		return c.Eta * math.Pow(c.StepGamma, float64((e-1)/c.StepEvery))
	case "cyclic":
		return c.CyclicEta(0)
	}
	if e == 1 {
		return c.Eta
	}
	return prev * c.Decay
}

// StepEta returns the learning rate of global update t (0-based) given the
// epoch's rate: constant within an epoch except for the cyclic schedule.
func (c *Config) StepEta(t int, epochEta float64) float64 {
	if c.Schedule == "cyclic" {
		return c.CyclicEta(t)
	}
	return epochEta
}

// CyclicEta is the triangular cyclical rate of update t: a linear rise from
// eta_min to eta_max over cycle_steps updates, then a linear fall.
func (c *Config) CyclicEta(t int) float64 {
	ns := c.CycleSteps
	x := t % (2 * ns)
	if x < ns {
		return c.EtaMin + float64(x)/float64(ns)*(c.EtaMax-c.EtaMin)
	}
	return c.EtaMax - float64(x-ns)/float64(ns)*(c.EtaMax-c.EtaMin)
}

// EtaOfEpoch is the learning rate of epoch e (1-based) as the trainer sets
// it, with the same arithmetic.
func (c *Config) EtaOfEpoch(e, steps int) float64 {
	if c.Schedule == "cyclic" {
		return c.CyclicEta((e - 1) * steps)
	}
	eta := c.EpochEta(1, 0)
	for i := 2; i <= e; i++ {
		eta = c.EpochEta(i, eta)
	}
	return eta
}
