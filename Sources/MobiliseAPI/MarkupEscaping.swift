/// Text made safe for HTML and XML content and attribute values (the pages the service writes
/// itself, e-mails' HTML part, posters' SVG): `&`, `<`, `>` and both quotes escaped, and the
/// control characters XML 1.0 cannot hold at all left out.
func markupEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case _ where scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r": continue
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}
