// SplitMix64 (Steele, Lea and Flood, 2014): a small, fast generator whose sequence for
// a seed is the same on every platform and every run. The demo store draws every
// choice from it, and the tests generate their random stores, lines and queries with
// it, so that a seed reproduces a failure.

/// A seeded random number generator: SplitMix64.
public struct SplitMix64: RandomNumberGenerator {
    public var state: UInt64

    @inlinable
    public init(_ seed: UInt64) { state = seed }

    @inlinable @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) (the same value as `Double.random(in: 0..<1, using:)`).
    @inlinable @inline(__always)
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in 0..<n.
    @inlinable @inline(__always)
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// True with probability `p`.
    @inlinable @inline(__always)
    public mutating func chance(_ p: Double) -> Bool { unit() < p }
}
