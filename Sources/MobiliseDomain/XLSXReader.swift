import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// Reads the first worksheet of an XLSX workbook (Office Open XML, ECMA-376): a zip archive of XML
/// parts, read with ZIPFoundation and Foundation's XMLParser.
///
/// Only what a workforce export needs: the first sheet of the workbook, shared strings, inline
/// strings, numbers (integers written without a decimal point, so that an HR id 10023 stays
/// "10023") and booleans. Formulas give their cached value.
///
/// A workbook is untrusted input. Each part is extracted with a running count of its bytes, whatever
/// its header claims, and refused past ``HRFile/Limits/maxXLSXPartBytes`` or past
/// ``HRFile/Limits/maxCompressionRatio`` times its compressed size (a zip bomb); a file that is not
/// a zip archive, or lacks the parts of a workbook, is refused with a sentence that says so.
enum XLSXReader {
    static func firstSheet(_ bytes: [UInt8], limits: HRFile.Limits) throws -> [HRFile.Record] {
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw notWorkbook("it is not a readable zip archive")
        }
        let sheetPath = try firstSheetPath(archive, limits: limits)
        let shared = try archive["xl/sharedStrings.xml"].map { try SharedStringsParser.parse(try extract($0, from: archive, limits: limits)) } ?? []
        guard let sheet = archive[sheetPath] else { throw notWorkbook("it has no worksheet '\(sheetPath)'") }
        return try SheetParser.parse(try extract(sheet, from: archive, limits: limits), shared: shared)
    }

    static func notWorkbook(_ why: String) -> MobiliseError {
        MobiliseError(.invalid, code: .invalidXlsx, "the file looks like an XLSX workbook but \(why): save it again from Excel as .xlsx, or export CSV")
    }

    /// The first sheet's part: the workbook's first `<sheet r:id>` through the workbook's relationships.
    private static func firstSheetPath(_ archive: Archive, limits: HRFile.Limits) throws -> String {
        guard let workbook = archive["xl/workbook.xml"] else { throw notWorkbook("it has no xl/workbook.xml") }
        let sheets = try AttributeCollector.collect(try extract(workbook, from: archive, limits: limits), element: "sheet")
        guard let relationID = sheets.first?.first(where: { $0.key == "r:id" || $0.key.hasSuffix(":id") })?.value else {
            throw notWorkbook("its workbook lists no sheet")
        }
        if let relationships = archive["xl/_rels/workbook.xml.rels"] {
            let relations = try AttributeCollector.collect(try extract(relationships, from: archive, limits: limits), element: "Relationship")
            if let target = relations.first(where: { $0["Id"] == relationID })?["Target"] {
                if target.hasPrefix("/") { return String(target.dropFirst()) }
                return "xl/" + target
            }
        }
        return "xl/worksheets/sheet1.xml"
    }

    /// A part's bytes, counted as they are inflated.
    private static func extract(_ entry: Entry, from archive: Archive, limits: HRFile.Limits) throws -> Data {
        struct TooLarge: Error {}
        var data = Data()
        let compressed = max(Int(clamping: entry.compressedSize), 1)
        let cap = min(limits.maxXLSXPartBytes, max(1 << 20, compressed.multipliedReportingOverflow(by: limits.maxCompressionRatio).partialValue))
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                guard data.count + chunk.count <= cap else { throw TooLarge() }
                data.append(chunk)
            }
        } catch is TooLarge {
            throw MobiliseError(.tooLarge, code: .xlsxTooLarge,
                                "the workbook's part \(entry.path) expands to more than \(cap) bytes "
                                    + "(\(compressed) compressed): it is refused as a possible zip bomb; export the sheet as CSV instead")
        } catch {
            throw notWorkbook("its part \(entry.path) cannot be read")
        }
        return data
    }
}

/// Every `element`'s attributes, in order.
private final class AttributeCollector: NSObject, XMLParserDelegate {
    let element: String
    var found: [[String: String]] = []

    init(element: String) { self.element = element }

    static func collect(_ data: Data, element: String) throws -> [[String: String]] {
        let collector = AttributeCollector(element: element)
        let parser = XMLParser(data: data)
        parser.delegate = collector
        guard parser.parse() else { throw XLSXReader.notWorkbook("its XML cannot be read") }
        return collector.found
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if name == element || name.hasSuffix(":" + element) { found.append(attributes) }
    }
}

/// `xl/sharedStrings.xml`: `<si>` items, each the text of its `<t>` runs.
private final class SharedStringsParser: NSObject, XMLParserDelegate {
    var strings: [String] = []
    private var current = ""
    private var inItem = false, inText = false, inPhonetic = false

    static func parse(_ data: Data) throws -> [String] {
        let delegate = SharedStringsParser()
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        guard parser.parse() else { throw XLSXReader.notWorkbook("its shared strings cannot be read") }
        return delegate.strings
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "si": inItem = true; current = ""
        case "t": inText = inItem
        case "rPh": inPhonetic = true  // phonetic guides (Japanese) are not part of the text
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText, !inPhonetic { current += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "si": strings.append(current); inItem = false
        case "t": inText = false
        case "rPh": inPhonetic = false
        default: break
        }
    }
}

/// A worksheet's rows: `<row r="N">` of `<c r="B2" t="s|inlineStr|str|b|n|e">` cells.
private final class SheetParser: NSObject, XMLParserDelegate {
    let shared: [String]
    var records: [HRFile.Record] = []
    var failure: MobiliseError?
    private var row: [Int: String] = [:]
    private var rowNumber = 0
    private var cellColumn = 0
    private var cellType = "n"
    private var value = ""
    private var inValue = false, inInline = false
    private var nextColumn = 0

    init(shared: [String]) { self.shared = shared }

    static func parse(_ data: Data, shared: [String]) throws -> [HRFile.Record] {
        let delegate = SheetParser(shared: shared)
        let parser = XMLParser(data: data)
        parser.delegate = delegate
        let parsed = parser.parse()
        if let failure = delegate.failure { throw failure }
        guard parsed else { throw XLSXReader.notWorkbook("its worksheet cannot be read") }
        return delegate.records
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        switch name {
        case "row":
            rowNumber = attributes["r"].flatMap(Int.init) ?? rowNumber + 1
            row = [:]
            nextColumn = 0
        case "c":
            cellColumn = attributes["r"].flatMap(Self.column(of:)) ?? nextColumn
            nextColumn = cellColumn + 1
            cellType = attributes["t"] ?? "n"
            value = ""
            guard cellColumn < 16_384 else {
                failure = XLSXReader.notWorkbook("a cell lies beyond column XFD")
                parser.abortParsing()
                return
            }
        case "v": inValue = true
        case "is": inInline = true
        case "t": inValue = inInline
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inValue { value += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "v", "t": inValue = false
        case "is": inInline = false
        case "c":
            let text: String
            switch cellType {
            case "s":
                guard let index = Int(value.trimmingCharacters(in: .whitespaces)), shared.indices.contains(index) else {
                    failure = XLSXReader.notWorkbook("cell \(cellColumn + 1) of row \(rowNumber) names a missing shared string")
                    parser.abortParsing()
                    return
                }
                text = shared[index]
            case "b": text = value == "1" ? "true" : "false"
            case "n": text = Self.number(value)
            default: text = value
            }
            if !text.isEmpty { row[cellColumn] = text }
        case "row":
            guard let last = row.keys.max() else { return }  // an empty row
            guard last < 1024 else {
                failure = XLSXReader.notWorkbook("row \(rowNumber) has more than 1024 columns")
                parser.abortParsing()
                return
            }
            records.append(HRFile.Record(line: rowNumber, fields: (0...last).map { row[$0] ?? "" }))
        default: break
        }
    }

    /// `B12` → 1 (zero-based column).
    static func column(of reference: String) -> Int? {
        var column = 0
        var letters = 0
        for scalar in reference.unicodeScalars {
            guard scalar.value >= 65, scalar.value <= 90 else { break }
            column = column * 26 + Int(scalar.value - 64)
            letters += 1
            guard letters <= 3 else { return nil }
        }
        return letters == 0 ? nil : column - 1
    }

    /// Integers as integers (10023, not 10023.0); other numbers as written.
    static func number(_ text: String) -> String {
        if let value = Double(text), value.rounded() == value, abs(value) < 1e15 { return String(Int64(value)) }
        return text
    }
}
