import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dedicated OS thread that runs jobs one after another.
///
/// Each connection lives on its own worker thread, and every libpq call for it happens there: libpq
/// may block (connecting, waiting on the socket), and blocking is harmless on a thread of our own,
/// while it would starve Swift's cooperative thread pool or an event loop. Async callers hand a job
/// over and await its continuation; see ``PostgresPool``.
///
/// `@unchecked Sendable`: `jobs` and `stopping` are only touched with `condition` locked.
final class WorkerThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false

    init(name: String) {
        let thread = Thread { [self] in
            Self.nameInKernel(name)
            run()
        }
        thread.name = name
        thread.stackSize = 512 * 1024
        thread.start()
    }

    /// Runs `job` on the thread after the jobs already submitted.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the thread finish its queued jobs, then end.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// Gives the calling thread `name` where `top -H`, `perf` and `ps -L` show it (the kernel keeps
    /// 15 bytes: the end is kept, "postgres-12"). Foundation's `Thread.name` does not reach the kernel
    /// on Linux, so these threads showed under the name of the thread that started them, mixed with
    /// Swift's cooperative pool in every profile. Best effort: without /proc the name stays as it was.
    private static func nameInKernel(_ name: String) {
        #if os(Linux)
        var bytes = Array(name.utf8.suffix(15))
        while !bytes.isEmpty, String(validating: bytes, as: UTF8.self) == nil { bytes.removeFirst() }
        let file = open("/proc/thread-self/comm", O_WRONLY)
        guard file >= 0 else { return }
        _ = bytes.withUnsafeBytes { write(file, $0.baseAddress, $0.count) }
        close(file)
        #endif
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            let finished = stopping && batch.isEmpty
            condition.unlock()
            if finished { return }
            for job in batch { job() }
        }
    }
}

/// The way to interrupt a connection's thread from elsewhere: a cancel flag and a pipe whose read
/// end the thread polls next to the socket, so a cancellation wakes it at once.
///
/// A lease number ties a cancellation to one use of the connection: a cancellation that arrives
/// after the connection went back to the pool carries an old lease and is ignored.
final class ConnectionInterrupt: Sendable {
    private struct State {
        var lease: UInt64 = 0
        var cancelled = false
    }

    private let state = Mutex(State())
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() throws {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else {
            throw PostgresError(kind: .client, message: "could not create a pipe: \(String(cString: strerror(errno)))")
        }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    /// The current use of the connection.
    var lease: UInt64 { state.withLock { $0.lease } }

    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// Cancels the use `lease`, if it is still the current one, and wakes the thread.
    func cancel(lease: UInt64) {
        let wake = state.withLock { state in
            guard state.lease == lease, !state.cancelled else { return false }
            state.cancelled = true
            return true
        }
        if wake { signal() }
    }

    /// Wakes the thread without cancelling anything.
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Ends the current use: clears the flag, empties the pipe, starts a new lease.
    func reset() {
        state.withLock { state in
            state.lease &+= 1
            state.cancelled = false
        }
        drain()
    }

    /// Empties the pipe.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readDescriptor, &buffer, buffer.count) > 0 {}
    }
}
