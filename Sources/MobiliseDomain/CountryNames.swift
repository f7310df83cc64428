import Foundation

/// Country names and codes as HR systems export them, to ISO 3166-1 alpha-2.
///
/// ```swift
/// CountryNames.alpha2(for: "FRA")            // "FR"
/// CountryNames.alpha2(for: "Côte d'Ivoire")  // "CI"
/// CountryNames.alpha2(for: "viet nam")       // "VN"
/// ```
///
/// Accepted: an alpha-2 code, an alpha-3 code, or an English name (ISO's short, common or official
/// name, or a usual one such as "USA" or "Czech Republic"), ignoring case, accents, spaces and
/// punctuation. Whether the code is in the `countries` table is still the store's check.
public enum CountryNames {
    /// The alpha-2 code of `text`, or nil when it names no country.
    public static func alpha2(for text: some StringProtocol) -> String? {
        let key = fold(text)
        guard !key.isEmpty, key.count <= 80 else { return nil }
        return index[key]
    }

    /// The code meant by `code` when it is not a code but a usual name of a country (`UK` for GB),
    /// or nil: the hint for a refused country code.
    public static func suggestion(for code: String) -> String? {
        alpha2(for: code).flatMap { $0 != code.uppercased() ? $0 : nil }
    }

    /// Lower-case letters and digits only, accents removed.
    static func fold(_ text: some StringProtocol) -> String {
        String(text).folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
            .unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }
            .map(String.init).joined().lowercased()
    }

    private static let index: [String: String] = {
        var index: [String: String] = [:]
        for line in table.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3 else { continue }
            let alpha2 = String(parts[0])
            index[fold(parts[0])] = alpha2
            index[fold(parts[1])] = alpha2
            for name in parts[2].split(separator: "|") where index[fold(name)] == nil {
                index[fold(name)] = alpha2
            }
        }
        return index
    }()
}
