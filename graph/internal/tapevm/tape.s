// An assembly file lets tape.go declare tapeRunall, a function without a
// Go body (go:linkname to the TapeMachine of gorgonia).
