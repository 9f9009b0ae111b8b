// Reading and decoding on a second thread while the caller's thread writes to SQLite.
//
// An import spends roughly as long decoding JSON as writing rows; on a machine with two
// cores the two can overlap. The reader thread owns the file and the decoder and hands
// batches of decoded lines through a small bounded queue; the caller's thread (which
// owns the SQLite connection) applies them in order, so results are exactly those of a
// single-threaded run. Closing the queue (on error or cancellation) stops the reader.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One non-blank line, decoded.
struct DecodedLine: Sendable {
    var line: Int
    var result: Result<ImportRecord, LineError>
}

/// A run of decoded lines and how far into the source they reach.
struct DecodedBatch: Sendable {
    var lines: [DecodedLine]
    var bytesConsumed: Int64
}

/// A bounded, closable FIFO between one producer and one consumer thread.
final class BatchQueue: @unchecked Sendable {
    enum Item: Sendable {
        case batch(DecodedBatch)
        case end
        case failed(ImportIOError)
    }

    private var items: [Item] = []
    private var head = 0
    private var closed = false
    private let capacity: Int
    private var mutex = pthread_mutex_t()
    private var notEmpty = pthread_cond_t()
    private var notFull = pthread_cond_t()

    init(capacity: Int) {
        self.capacity = capacity
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&notEmpty, nil)
        pthread_cond_init(&notFull, nil)
    }

    deinit {
        pthread_cond_destroy(&notFull)
        pthread_cond_destroy(&notEmpty)
        pthread_mutex_destroy(&mutex)
    }

    /// Adds an item, waiting while the queue is full; false when the queue was closed.
    func put(_ item: Item) -> Bool {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while items.count - head >= capacity && !closed { pthread_cond_wait(&notFull, &mutex) }
        if closed { return false }
        items.append(item)
        pthread_cond_signal(&notEmpty)
        return true
    }

    /// The next item, waiting while the queue is empty.
    func take() -> Item {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while items.count == head && !closed { pthread_cond_wait(&notEmpty, &mutex) }
        if items.count == head { return .end }
        let item = items[head]
        head += 1
        if head > 64 { items.removeFirst(head); head = 0 }
        pthread_cond_signal(&notFull)
        return item
    }

    /// Makes `put` fail from now on and wakes both sides.
    func close() {
        pthread_mutex_lock(&mutex)
        closed = true
        items.removeAll()
        head = 0
        pthread_cond_broadcast(&notFull)
        pthread_cond_broadcast(&notEmpty)
        pthread_mutex_unlock(&mutex)
    }
}

/// A started thread that can be joined.
final class JoinableThread {
    private var thread = pthread_t()
    private var started = false

    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread; if no thread can be made, runs it on this one.
    init(_ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Body(body))
        let rc = pthread_create(&thread, nil, { arg in
            guard let arg else { return nil }
            Unmanaged<Body>.fromOpaque(arg).takeRetainedValue().run()
            return nil
        }, box.toOpaque())
        if rc == 0 {
            started = true
        } else {
            box.takeRetainedValue().run()
        }
    }

    /// Waits for the thread to finish.
    func join() {
        if started {
            pthread_join(thread, nil)
            started = false
        }
    }

    deinit { join() }
}

enum DecodePipeline {
    static let batchSize = 2048

    /// Reads and decodes `source` on a new thread, feeding `queue`.
    static func start(_ source: ImportSource, into queue: BatchQueue) -> JoinableThread {
        JoinableThread {
            var decoder = CanonicalDecoder()
            var lines: [DecodedLine] = []
            lines.reserveCapacity(batchSize)
            var consumed: Int64 = 0
            var stopped = false
            do {
                try LineReader.forEachLine(in: source, progress: { consumed = max(consumed, $0) }) { bytes, number in
                    if stopped { return }
                    consumed += Int64(bytes.count) + 1
                    if isBlank(bytes) { return }
                    lines.append(DecodedLine(line: number, result: decoder.decode(bytes)))
                    if lines.count == batchSize {
                        if !queue.put(.batch(DecodedBatch(lines: lines, bytesConsumed: consumed))) { stopped = true }
                        lines.removeAll(keepingCapacity: true)
                    }
                }
                if !stopped {
                    if !lines.isEmpty { _ = queue.put(.batch(DecodedBatch(lines: lines, bytesConsumed: consumed))) }
                    _ = queue.put(.end)
                }
            } catch let error as ImportIOError {
                _ = queue.put(.failed(error))
            } catch {
                _ = queue.put(.failed(ImportIOError(source: source.name, message: "\(error)")))
            }
        }
    }

    @inline(__always)
    static func isBlank(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in b where c != 0x20 && c != 0x09 && c != 0x0D { return false }
        return true
    }
}
