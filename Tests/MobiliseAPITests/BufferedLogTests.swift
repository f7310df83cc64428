import Foundation
import Logging
import MobiliseAPI
import Testing

/// The service's log output: written by a thread of its own, in order, whole lines, nothing lost.
@Suite struct BufferedLogTests {
    /// Appends from many tasks at once into a file (less than the buffer holds, so nothing may be
    /// dropped), then reads the file back.
    @Test func everyLineIsWrittenOnceWholeAndInItsWritersOrder() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor); unlink(path) }
        let output = BufferedLogOutput(fileDescriptor: descriptor)
        let (writers, lines) = (16, 2_000)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for line in 0..<lines { output.append("writer=\(writer) line=\(line) \(String(repeating: "x", count: line % 97))\n") }
                }
            }
        }
        output.flush()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let written = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(text.hasSuffix("\n"))
        #expect(written.count == writers * lines)
        var next = [Int](repeating: 0, count: writers)
        var wellFormed = true
        for entry in written {
            let fields = entry.split(separator: " ")
            guard fields.count >= 2, let writer = Int(fields[0].dropFirst("writer=".count)), let line = Int(fields[1].dropFirst("line=".count)),
                  writers > writer, next[writer] == line, entry.count == "writer=\(writer) line=\(line) ".count + line % 97
            else { wellFormed = false; break }
            next[writer] += 1
        }
        #expect(wellFormed, "a line is torn, duplicated or out of its writer's order")
        #expect(next == [Int](repeating: lines, count: writers))
        #expect(output.dropped == 0)
    }

    /// An output nobody reads (a pipe whose reader is busy): appending never waits for it (the
    /// loop ends although the pipe is full), memory stays within the capacity (the rest is dropped
    /// and counted), and once the pipe is read the kept lines come out whole and in order,
    /// followed by a warning that says how many were dropped.
    @Test(.timeLimit(.minutes(1))) func aStuckOutputDropsAndCountsLinesInsteadOfWaiting() async throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        defer { close(readEnd) }
        let output = BufferedLogOutput(fileDescriptor: writeEnd, capacity: 4096)
        let lines = 20_000  // 2 MB: far more than the pipe (64 KiB) and the buffer hold
        for line in 0..<lines { output.append("line=\(line) \(String(repeating: "x", count: 90))\n") }
        let dropped = output.dropped
        #expect(dropped > 0 && dropped < lines, "\(dropped) of \(lines) dropped")

        // Now read it all: the writer goes on, then writes its warning.
        let reader = Task.detached { () -> [UInt8] in
            var all: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if count <= 0 { return all }
                all.append(contentsOf: chunk[..<count])
            }
        }
        #expect(output.flush(timeout: .seconds(30)))
        close(writeEnd)
        let text = String(decoding: await reader.value, as: UTF8.self)
        let written = text.split(separator: "\n")
        let kept = written.filter { $0.hasPrefix("line=") }
        let warnings = written.filter { $0.contains("log lines dropped") }
        #expect(kept.count + dropped == lines, "\(kept.count) written + \(dropped) dropped")
        let numbers = kept.compactMap { Int($0.dropFirst("line=".count).prefix { $0 != " " }) }
        #expect(numbers.count == kept.count && numbers == numbers.sorted(), "kept lines out of order or torn")
        #expect(zip(kept, numbers).allSatisfy { line, number in line.count == "line=\(number) ".count + 90 }, "a torn line")
        let reported = warnings.compactMap { warning in
            warning.split(separator: " ").first { $0.hasPrefix("log.dropped=") }.flatMap { Int($0.dropFirst("log.dropped=".count)) }
        }
        #expect(!warnings.isEmpty && reported.reduce(0, +) == dropped, "\(warnings)")
        #expect(written.count == kept.count + warnings.count, "only whole lines and warnings")
    }

    @Test func theHandlerWritesTheStreamLogHandlersLine() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("log-\(UUID().uuidString)").path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(descriptor >= 0)
        defer { close(descriptor); unlink(path) }
        let output = BufferedLogOutput(fileDescriptor: descriptor)
        var logger = Logger(label: "test-service") { BufferedLogHandler(label: $0, output: output) }
        logger[metadataKey: "hb.request.id"] = "abc"
        logger.debug("not at info")
        logger.info("request", metadata: ["http.status": "201", "http.method": "PUT"])
        output.flush()
        let line = try String(contentsOfFile: path, encoding: .utf8)
        // `2026-12-06T14:28:18+0000 info test-service: hb.request.id=abc http.method=PUT http.status=201 [BufferedLogTests] request`
        let timestamp = try #require(line.split(separator: " ").first)
        #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}/) != nil, "\(line)")
        #expect(line.dropFirst(timestamp.count) == " info test-service: hb.request.id=abc http.method=PUT http.status=201 [MobiliseAPITests] request\n")
    }
}
