/// BCP 47 language tags in their conventional case (RFC 5646 section 2.1.1): `pt-BR`, `zh-Hans`,
/// `sr-Latn-RS`. Tags compare without regard to case, so a campaign's texts are keyed by this form
/// and looked up with ``text(_:in:)``: an HR admin who types `pt-br` still reaches Brazil's page.
public enum LanguageTag {
    /// `tag` with its language lower case, a four-letter script title case, a two-letter region
    /// upper case, and everything else lower case. Assumes the tag's shape was checked already.
    public static func canonical(_ tag: String) -> String {
        var parts: [String] = []
        for (position, subtag) in tag.split(separator: "-", omittingEmptySubsequences: false).enumerated() {
            let lower = subtag.lowercased()
            // After a singleton (x-…, u-…) the subtags are extensions: left lower case.
            if position > 0, parts.contains(where: { $0.count == 1 }) {
                parts.append(lower)
            } else if position > 0, subtag.count == 2 {
                parts.append(lower.uppercased())
            } else if position > 0, subtag.count == 4, subtag.allSatisfy(\.isLetter) {
                parts.append(lower.prefix(1).uppercased() + lower.dropFirst())
            } else {
                parts.append(lower)
            }
        }
        return parts.joined(separator: "-")
    }

    /// `texts` with canonical keys. Of two keys that differ only in case, the text of the one that
    /// sorts first is kept (the same text whichever order the caller's dictionary had).
    public static func canonicalKeys(_ texts: [String: String]) -> [String: String] {
        var result: [String: String] = [:]
        for key in texts.keys.sorted() {
            let canonical = canonical(key)
            if result[canonical] == nil { result[canonical] = texts[key] }
        }
        return result
    }

    /// The text for `language` among per-language `texts`, comparing tags without regard to case
    /// (texts stored before their keys were made canonical may be in any case).
    public static func text(_ texts: [String: String], in language: String) -> (tag: String, text: String)? {
        if let exact = texts[language] { return (language, exact) }
        let wanted = language.lowercased()
        // Of keys differing only in case, the one that sorts first (as canonicalKeys keeps), whatever the dictionary's order.
        return texts.keys.sorted().first { $0.lowercased() == wanted }.flatMap { key in texts[key].map { (key, $0) } }
    }
}
