// Text from a store or a file, made safe to print on a terminal.
//
// A campaign name, a link or a contact's name is data that segq did not write: one
// holding ESC [ … or OSC sequences could move the cursor, recolour or retitle the
// terminal, or hide text, when printed as it is. Everything segq prints for a person
// (tables, errors, suggestions, listings, stats) passes control characters through
// `escaped`, which shows them as visible escapes instead.

/// Escaping of control characters for terminal output.
public enum TerminalText {
    /// `s` with C0 controls, DEL and C1 controls shown as escapes: `\n`, `\r`, `\t`,
    /// `\x1B`, `\u{9B}`; other text unchanged. `keeping` lists the controls left as
    /// they are (a multi-line message keeps its line breaks).
    public static func escaped(_ s: String, keeping: Set<Unicode.Scalar> = []) -> String {
        guard s.unicodeScalars.contains(where: { isControl($0) && !keeping.contains($0) }) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            guard isControl(u), !keeping.contains(u) else {
                out.unicodeScalars.append(u)
                continue
            }
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                let hex = String(u.value, radix: 16, uppercase: true)
                out += u.value < 0x80 ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u{" + hex + "}"
            }
        }
        return out
    }

    /// C0 controls, DEL and C1 controls.
    @inline(__always)
    public static func isControl(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (u.value >= 0x7F && u.value <= 0x9F)
    }
}
