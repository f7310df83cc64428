import Foundation
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Log lines written to a file descriptor by a thread of their own, so that a request's log line
/// costs its formatting and a copy into memory, never a `write(2)` on the request's thread.
///
/// Hand-written rather than taken from a library: swift-log's `StreamLogHandler` writes and flushes
/// each line under a lock on the caller's thread (a quarter of the signing rate at default settings,
/// issue 25), and no kept package in our mirror buffers off-thread with the guarantees below.
///
/// - Lines are written in the order they were appended, whole, usually many per `write(2)`.
/// - Memory is bounded, and a request never waits for its log line: past `capacity` waiting bytes
///   (standard error stuck, or slower than the requests), a line is dropped and counted. The
///   writer then writes a `log lines dropped` warning with the count after the lines it had, and
///   ``dropped`` (served at `/metrics` as `mobilise_log_lines_dropped`) counts them all.
/// - ``flush(timeout:)`` returns once every line appended before it is written; it runs at exit
///   (`atexit`) and after the service stops, so a SIGTERM loses no line.
public final class BufferedLogOutput: @unchecked Sendable {
    /// Standard error, as the service writes its logs.
    public static let standardError = BufferedLogOutput(fileDescriptor: 2)

    private let fileDescriptor: Int32
    private let capacity: Int
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var writing = false
    private var writerWaiting = false
    private var started = false
    private var waiters = 0
    /// Lines dropped since the writer last wrote its warning, and since the start.
    private var droppedUnreported = 0
    private var droppedTotal = 0

    /// Writes to `fileDescriptor` (left open) from a thread started at the first line, holding at
    /// most `capacity` bytes of lines not yet written (4 MiB: about 20,000 request lines, two
    /// seconds of signing at full speed with the output stuck).
    public init(fileDescriptor: Int32, capacity: Int = 4 << 20) {
        self.fileDescriptor = fileDescriptor
        self.capacity = capacity
        pending.reserveCapacity(64 << 10)
    }

    /// Lines dropped since the start because `capacity` bytes were waiting.
    public var dropped: Int {
        condition.lock()
        defer { condition.unlock() }
        return droppedTotal
    }

    /// Queues `line` (which ends with its newline) for writing, or drops it (counted) when
    /// `capacity` bytes are waiting already. Never waits for the output.
    public func append(_ line: String) {
        condition.lock()
        if !started {
            started = true
            let thread = Thread { [self] in run() }
            thread.name = "mobilise-log"
            thread.start()
        }
        guard pending.count + line.utf8.count <= capacity else {
            droppedUnreported += 1
            droppedTotal += 1
            if writerWaiting { condition.broadcast() }  // a line longer than `capacity` finds nothing waiting
            condition.unlock()
            return
        }
        pending.append(contentsOf: line.utf8)
        // Wake the writer only when it sleeps: while it writes, lines gather into its next batch.
        if writerWaiting { condition.broadcast() }
        condition.unlock()
    }

    /// Returns once every line appended before the call has been written, or after `timeout`
    /// (an output that cannot be written, such as a pipe nobody reads, must not keep the process
    /// from exiting). Returns whether everything was written.
    @discardableResult
    public func flush(timeout: Duration = .seconds(10)) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while !pending.isEmpty || writing || droppedUnreported > 0 {
            waiters += 1
            let signalled = condition.wait(until: deadline)
            waiters -= 1
            if !signalled && Date() >= deadline { return false }
        }
        return true
    }

    private func run() {
        var batch: [UInt8] = []
        batch.reserveCapacity(64 << 10)
        while true {
            condition.lock()
            while pending.isEmpty && droppedUnreported == 0 {
                writerWaiting = true
                condition.wait()
                writerWaiting = false
            }
            swap(&batch, &pending)
            let dropped = droppedUnreported
            droppedUnreported = 0
            writing = true
            condition.unlock()

            if dropped > 0 {
                // After the lines that were kept: the drops happened once they filled the buffer.
                batch.append(contentsOf: (BufferedLogHandler.timestamp() + " warning mobilise: log.dropped=\(dropped) [MobiliseAPI] "
                    + "log lines dropped: the log output did not keep up\n").utf8)
            }

            writeAll(batch)
            batch.removeAll(keepingCapacity: true)

            condition.lock()
            writing = false
            if waiters > 0 { condition.broadcast() }  // a flush may be waiting for this batch
            condition.unlock()
        }
    }

    /// Writes all of `bytes`, through partial writes and interruptions; a descriptor that cannot
    /// be written (closed, a broken pipe) loses the batch, as a direct write would.
    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            guard let start = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = write(fileDescriptor, start + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}

/// A `LogHandler` writing swift-log's `StreamLogHandler` line (`timestamp level label: key=value …
/// [source] message`) through a ``BufferedLogOutput``.
public struct BufferedLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: BufferedLogOutput

    public init(label: String, output: BufferedLogOutput = .standardError, metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.output = output
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get(), !provided.isEmpty {
            merged.merge(provided) { _, new in new }
        }
        if let explicit = event.metadata, !explicit.isEmpty {
            merged.merge(explicit) { _, new in new }
        }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        var line = Self.timestamp()
        line.reserveCapacity(256)
        line += " "
        line += event.level.rawValue
        if !label.isEmpty { line += " " + label }
        line += ":"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " "
            line += key
            line += "="
            line += value.description
        }
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        line += "\n"
        output.append(line)
    }

    /// The local time as `StreamLogHandler` writes it: `2026-12-06T14:28:18+0000`. Made once a
    /// second: every line of that second shares it.
    static func timestamp() -> String {
        let now = time(nil)
        if let known = lastTimestamp.withLock({ $0.second == now ? $0.text : nil }) { return known }
        let text = format(now)
        lastTimestamp.withLock { $0 = (now, text) }
        return text
    }

    private static let lastTimestamp = Mutex<(second: time_t, text: String)>((-1, ""))

    private static func format(_ second: time_t) -> String {
        var now = second
        var local = tm()
        guard localtime_r(&now, &local) != nil else { return "<unknown>" }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            guard let start = buffer.baseAddress else { return "<unknown>" }
            let count = start.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                strftime($0, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
            }
            return String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
        }
    }
}
