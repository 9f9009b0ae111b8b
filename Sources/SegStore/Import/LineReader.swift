// Reading an import source line by line, in large chunks, without Foundation.
//
// A file is read with read(2) into one growing buffer; complete lines are handed out
// as views into it (no copy), the partial last line is moved to the front before the
// next read. `\r\n` endings lose their `\r`; a UTF-8 byte-order mark at the start is
// skipped; a last line without a newline is still a line. A line longer than
// `maximumLineLength` is refused as soon as that many bytes are buffered, so one huge line
// (a binary file, a dump without newlines) costs at most a few times that much memory.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an import reads from.
public struct ImportSource: Sendable {
    enum Input: Sendable {
        case file(String)
        case standardInput
        case bytes([UInt8])
    }

    /// The name used in messages (`FILE:LINE: error: …`).
    public var name: String
    let input: Input

    /// A file by path; `-` means standard input.
    public static func file(_ path: String) -> ImportSource {
        path == "-" ? .standardInput : ImportSource(name: path, input: .file(path))
    }

    /// Standard input, named `<stdin>` in messages.
    public static var standardInput: ImportSource { ImportSource(name: "<stdin>", input: .standardInput) }

    /// Bytes in memory (tests, generated input), named `name` in messages.
    public static func bytes(_ bytes: [UInt8], name: String = "<input>") -> ImportSource {
        ImportSource(name: name, input: .bytes(bytes))
    }

    /// UTF-8 text in memory, named `name` in messages.
    public static func text(_ text: String, name: String = "<input>") -> ImportSource {
        .bytes(Array(text.utf8), name: name)
    }
}

/// An error reading a source.
public struct ImportIOError: Error, CustomStringConvertible, Sendable {
    /// The source's name.
    public var source: String
    /// What went wrong (from strerror).
    public var message: String

    public var description: String { "\(source): \(message)" }
}

enum LineReader {
    static let chunkSize = 4 << 20
    /// The longest line an import reads (16 MiB); docs/import.md § Limits.
    static let maximumLineLength = 16 << 20

    /// The error for line `number` of `source`, longer than `maximumLineLength`.
    static func tooLong(_ source: String, line number: Int) -> ImportIOError {
        ImportIOError(source: source, message: "line \(number) is longer than 16 MiB, the longest line an import reads")
    }

    /// The size of the source in bytes, when known (regular files and in-memory bytes).
    static func size(of source: ImportSource) -> Int64? {
        switch source.input {
        case .bytes(let b): return Int64(b.count)
        case .standardInput: return nil
        case .file(let path):
            var st = stat()
            guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
            return Int64(st.st_size)
        }
    }

    /// Calls `line` with each line's bytes (without its ending) and 1-based number, and
    /// `progress` with the bytes consumed so far after each chunk.
    static func forEachLine(
        in source: ImportSource,
        progress: (Int64) -> Void,
        _ line: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
    ) throws {
        switch source.input {
        case .bytes(let bytes):
            var lineNumber = 0
            try bytes.withUnsafeBufferPointer { whole in
                let buf = skipBOM(whole)
                let end = try splitLines(buf, name: source.name, lineNumber: &lineNumber, line)
                if end < buf.count {
                    lineNumber += 1
                    if buf.count - end > maximumLineLength { throw tooLong(source.name, line: lineNumber) }
                    try line(trimCR(UnsafeBufferPointer(rebasing: buf[end...])), lineNumber)
                }
            }
            progress(Int64(bytes.count))
        case .standardInput:
            try readFD(0, name: source.name, progress: progress, line)
        case .file(let path):
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw ImportIOError(source: path, message: String(cString: strerror(errno))) }
            defer { close(fd) }
            try readFD(fd, name: path, progress: progress, line)
        }
    }

    private static func readFD(
        _ fd: Int32, name: String,
        progress: (Int64) -> Void,
        _ line: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
    ) throws {
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        var consumed: Int64 = 0
        var lineNumber = 0
        var bomChecked = false
        while true {
            if filled == buffer.count {
                // One line longer than the buffer: grow it.
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: buffer.count * 2, alignment: 16)
                bigger.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[0..<filled]))
                buffer.deallocate()
                buffer = bigger
            }
            let n = read(fd, buffer.baseAddress.map { $0 + filled }, buffer.count - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw ImportIOError(source: name, message: String(cString: strerror(errno)))
            }
            let bytes = buffer.bindMemory(to: UInt8.self)
            filled += n
            var start = 0
            if !bomChecked && (filled >= 3 || n == 0) {
                bomChecked = true
                if filled >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { start = 3 }
            }
            if n == 0 {
                if filled > start {
                    lineNumber += 1
                    try line(trimCR(UnsafeBufferPointer(rebasing: bytes[start..<filled])), lineNumber)
                }
                consumed += Int64(filled)
                progress(consumed)
                return
            }
            if !bomChecked { continue }
            let chunk = UnsafeBufferPointer(rebasing: bytes[start..<filled])
            let end = try start + splitLines(chunk, name: name, lineNumber: &lineNumber, line)
            // The line not yet ended is refused once it is too long, before the buffer grows again.
            if filled - end > maximumLineLength { throw tooLong(name, line: lineNumber + 1) }
            consumed += Int64(end)
            if end > 0 && end < filled, let base = buffer.baseAddress {
                memmove(base, base + end, filled - end)
            }
            filled -= end
            progress(consumed)
        }
    }

    /// Hands out every complete line in `buf`; returns the offset after the last newline.
    private static func splitLines(
        _ buf: UnsafeBufferPointer<UInt8>, name: String, lineNumber: inout Int,
        _ line: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
    ) throws -> Int {
        guard let base = buf.baseAddress else { return 0 }
        var start = 0
        let count = buf.count
        while start < count {
            guard let nl = memchr(base + start, 0x0A, count - start) else { break }
            let end = UnsafeRawPointer(nl).assumingMemoryBound(to: UInt8.self) - base
            lineNumber += 1
            if end - start > maximumLineLength { throw tooLong(name, line: lineNumber) }
            try line(trimCR(UnsafeBufferPointer(start: base + start, count: end - start)), lineNumber)
            start = end + 1
        }
        return start
    }

    private static func skipBOM(_ b: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { return UnsafeBufferPointer(rebasing: b[3...]) }
        return b
    }

    @inline(__always)
    private static func trimCR(_ b: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        if let last = b.last, last == 0x0D { return UnsafeBufferPointer(rebasing: b[0..<(b.count - 1)]) }
        return b
    }
}
