/// A workforce file's chunks, as the import reads them: a file that is already Mobilise's CSV passes
/// through chunk by chunk, untouched (the fast path, never held whole); any other file (another
/// encoding or delimiter, an XLSX workbook, or an organisation with a column mapping) is read whole,
/// converted by ``HRFile/convert(_:mapping:limits:)``, and handed on as one chunk.
///
/// ```swift
/// let chunks = WorkforceFileChunks(body, mapping: savedMapping)
/// try await store.importEmployees(organisationID: id, csv: chunks, mode: .upsert, actor: actor)
/// ```
public struct WorkforceFileChunks<Base: AsyncSequence>: AsyncSequence where Base.Element: Sequence<UInt8> {
    public typealias Element = WorkforceChunk<Base.Element>
    let base: Base
    let mapping: WorkforceColumnMapping?
    let limits: HRFile.Limits
    /// The sender said the file is an XLSX workbook (its media type, its name): anything else is refused.
    let workbook: Bool

    public init(_ base: Base, mapping: WorkforceColumnMapping?, workbook: Bool = false, limits: HRFile.Limits = HRFile.Limits()) {
        self.base = base
        self.mapping = mapping
        self.workbook = workbook
        self.limits = limits
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var inner: Base.AsyncIterator
        let mapping: WorkforceColumnMapping?
        let limits: HRFile.Limits
        let workbook: Bool
        var state = State.sniffing
        var pending: [Base.Element] = []

        enum State { case sniffing, passthrough, done }

        /// Enough of the file to see its header line.
        static var sniffBytes: Int { 64 << 10 }

        public mutating func next() async throws -> Element? {
            switch state {
            case .done:
                return nil
            case .passthrough:
                if !pending.isEmpty { return .passthrough(pending.removeFirst()) }
                return try await inner.next().map { .passthrough($0) }
            case .sniffing:
                var prefix: [UInt8] = []
                var ended = false
                while prefix.count < Self.sniffBytes, !prefix.contains(where: { $0 == 0x0A || $0 == 0x0D }) {
                    guard let chunk = try await inner.next() else {
                        ended = true
                        break
                    }
                    pending.append(chunk)
                    prefix.append(contentsOf: chunk)
                }
                if workbook, !HRFile.isZip(prefix) {
                    state = .done
                    throw XLSXReader.notWorkbook("it is not a zip archive")
                }
                if HRFile.isPlainWorkforceCSV(prefix: prefix, mapping: mapping) {
                    state = .passthrough
                    return try await next()
                }
                var whole = prefix
                pending.removeAll()
                if !ended {
                    while let chunk = try await inner.next() { whole.append(contentsOf: chunk) }
                }
                state = .done
                return .converted(try HRFile.convert(whole, mapping: mapping, limits: limits).csv)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(inner: base.makeAsyncIterator(), mapping: mapping, limits: limits, workbook: workbook)
    }
}

/// A chunk of ``WorkforceFileChunks``: the file's own bytes, or the converted file.
public enum WorkforceChunk<Inner: Sequence<UInt8>>: Sequence {
    case passthrough(Inner)
    case converted([UInt8])

    public struct Iterator: IteratorProtocol {
        var inner: Inner.Iterator?
        var converted: IndexingIterator<[UInt8]>?

        public mutating func next() -> UInt8? {
            if var iterator = inner {
                defer { inner = iterator }
                return iterator.next()
            }
            return converted?.next()
        }
    }

    public func makeIterator() -> Iterator {
        switch self {
        case .passthrough(let inner): Iterator(inner: inner.makeIterator(), converted: nil)
        case .converted(let bytes): Iterator(inner: nil, converted: bytes.makeIterator())
        }
    }

    /// The parser reads contiguous bytes directly when it can: both cases let it.
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        switch self {
        case .passthrough(let inner): try inner.withContiguousStorageIfAvailable(body)
        case .converted(let bytes): try bytes.withContiguousStorageIfAvailable(body)
        }
    }

    public var underestimatedCount: Int {
        switch self {
        case .passthrough(let inner): inner.underestimatedCount
        case .converted(let bytes): bytes.count
        }
    }
}
