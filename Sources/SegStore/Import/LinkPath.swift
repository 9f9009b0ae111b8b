/// The path of a link URL, as the language's `link: "/…"` argument matches it.
///
/// The rule (docs/import.md): skip the scheme and `//` if present (`https://`, `//`);
/// the host runs to the first `/`, `?` or `#`; the path is from that `/` up to the next
/// `?` or `#`, and `/` when empty. A URL that starts with `/` has no host. A URL without
/// a scheme (`shop.example.com/pricing`) starts with its host. The path is kept as
/// written: not percent-decoded, case preserved.
public func linkPath(ofURL url: String) -> String {
    let b = Array(url.utf8)
    var i = 0
    if b.first == UInt8(ascii: "/") {
        if b.count >= 2 && b[1] == UInt8(ascii: "/") {
            i = 2  // scheme-relative: //host/path
        } else {
            return String(decoding: b[0..<pathEnd(b, from: 0)], as: UTF8.self)
        }
    } else {
        // A scheme is letters, digits, + - . followed by "://", before any / ? #.
        var j = 0
        while j < b.count, b[j] != UInt8(ascii: "/"), b[j] != UInt8(ascii: "?"), b[j] != UInt8(ascii: "#"), b[j] != UInt8(ascii: ":") { j += 1 }
        if j + 2 < b.count, b[j] == UInt8(ascii: ":"), b[j + 1] == UInt8(ascii: "/"), b[j + 2] == UInt8(ascii: "/") {
            i = j + 3
        }
    }
    while i < b.count, b[i] != UInt8(ascii: "/"), b[i] != UInt8(ascii: "?"), b[i] != UInt8(ascii: "#") { i += 1 }
    guard i < b.count, b[i] == UInt8(ascii: "/") else { return "/" }
    return String(decoding: b[i..<pathEnd(b, from: i)], as: UTF8.self)
}

private func pathEnd(_ b: [UInt8], from start: Int) -> Int {
    var k = start
    while k < b.count, b[k] != UInt8(ascii: "?"), b[k] != UInt8(ascii: "#") { k += 1 }
    return k
}
