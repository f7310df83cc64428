/// Why the library refused a request: a category (which the HTTP layer maps to a status), a stable
/// machine-readable code, and a sentence for a person.
public struct MobiliseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Malformed input (400).
        case invalid
        /// Well-formed but not acceptable in the current state (422).
        case unprocessable
        /// No such thing, or not visible to the caller (404).
        case notFound
        /// Conflicts with the current state (409).
        case conflict
        /// The caller may not do this (403).
        case forbidden
        /// Too large (413).
        case tooLarge
        /// Unsupported media type (415).
        case unsupportedMediaType
    }

    public var kind: Kind
    /// snake_case, stable: clients match on it.
    public var code: ErrorCode
    public var message: String

    public init(_ kind: Kind, code: ErrorCode, _ message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

extension StringProtocol {
    /// The word after its indefinite article, for a word interpolated into a sentence: `a draft`,
    /// `an active`, `an archived` (by its first letter: the words Mobilise interpolates are
    /// statuses and kinds, where the letter decides).
    public var withIndefiniteArticle: String {
        let vowel = first.map { "aeiouAEIOU".contains($0) } ?? false
        return (vowel ? "an " : "a ") + self
    }
}
