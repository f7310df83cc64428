/// A refusal's stable, machine-readable code (`campaign_not_found`, `not_in_audience`, …), the
/// `error.code` of every JSON error body.
///
/// Codes are constants on a struct (as `SQLState` is), never string literals at the throw site, so
/// a misspelt code does not compile and the full list below is the wire contract: `openapi.yaml`
/// lists exactly these (`ErrorCodeContractTests`), and a client can match on them. A decoded
/// code that is not in the list (a newer server's) is still representable.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The code on the wire: snake_case.
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    private init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static let alreadyCheckedIn = ErrorCode("already_checked_in")
    public static let batchTooLarge = ErrorCode("batch_too_large")
    public static let bodyRequired = ErrorCode("body_required")
    public static let bodyTooLong = ErrorCode("body_too_long")
    public static let campaignClosed = ErrorCode("campaign_closed")
    public static let campaignEnded = ErrorCode("campaign_ended")
    public static let campaignExists = ErrorCode("campaign_exists")
    public static let campaignNotActive = ErrorCode("campaign_not_active")
    public static let campaignNotDraft = ErrorCode("campaign_not_draft")
    public static let campaignNotFound = ErrorCode("campaign_not_found")
    public static let campaignNotOpen = ErrorCode("campaign_not_open")
    public static let campaignNotStarted = ErrorCode("campaign_not_started")
    public static let cancelled = ErrorCode("cancelled")
    public static let checkInClosed = ErrorCode("check_in_closed")
    public static let checkInNotOpen = ErrorCode("check_in_not_open")
    public static let cityRequired = ErrorCode("city_required")
    public static let columnMappingNotFound = ErrorCode("column_mapping_not_found")
    public static let countryNotFound = ErrorCode("country_not_found")
    public static let countryNotShown = ErrorCode("country_not_shown")
    public static let crossSiteRequest = ErrorCode("cross_site_request")
    public static let csrfTokenInvalid = ErrorCode("csrf_token_invalid")
    public static let databaseTimeout = ErrorCode("database_timeout")
    public static let databaseUnavailable = ErrorCode("database_unavailable")
    public static let deliveryInProgress = ErrorCode("delivery_in_progress")
    public static let deliveryNotFound = ErrorCode("delivery_not_found")
    public static let demoImportFailed = ErrorCode("demo_import_failed")
    public static let demoSigningRefused = ErrorCode("demo_signing_refused")
    public static let employeeInactive = ErrorCode("employee_inactive")
    public static let emailNotConfigured = ErrorCode("email_not_configured")
    public static let employeeNotFound = ErrorCode("employee_not_found")
    public static let eventNotFound = ErrorCode("event_not_found")
    public static let eventOver = ErrorCode("event_over")
    public static let eventRequired = ErrorCode("event_required")
    public static let forbidden = ErrorCode("forbidden")
    public static let fullSyncRefused = ErrorCode("full_sync_refused")
    public static let fullSyncUnconfirmed = ErrorCode("full_sync_unconfirmed")
    public static let hostInactive = ErrorCode("host_inactive")
    public static let hostNotFound = ErrorCode("host_not_found")
    public static let httpError = ErrorCode("http_error")
    public static let importBusy = ErrorCode("import_busy")
    public static let internalError = ErrorCode("internal_error")
    public static let invalidBody = ErrorCode("invalid_body")
    public static let invalidCapacity = ErrorCode("invalid_capacity")
    public static let invalidChannel = ErrorCode("invalid_channel")
    public static let invalidCity = ErrorCode("invalid_city")
    public static let invalidClaim = ErrorCode("invalid_claim")
    public static let invalidClientId = ErrorCode("invalid_client_id")
    public static let invalidClientSecret = ErrorCode("invalid_client_secret")
    public static let invalidCode = ErrorCode("invalid_code")
    public static let invalidColumnMapping = ErrorCode("invalid_column_mapping")
    public static let invalidCountry = ErrorCode("invalid_country")
    public static let invalidCursor = ErrorCode("invalid_cursor")
    public static let invalidDates = ErrorCode("invalid_dates")
    public static let invalidDescription = ErrorCode("invalid_description")
    public static let invalidEncoding = ErrorCode("invalid_encoding")
    public static let invalidEvents = ErrorCode("invalid_events")
    public static let invalidGoal = ErrorCode("invalid_goal")
    public static let invalidHashtag = ErrorCode("invalid_hashtag")
    public static let invalidHeader = ErrorCode("invalid_header")
    public static let invalidHost = ErrorCode("invalid_host")
    public static let invalidIssuer = ErrorCode("invalid_issuer")
    public static let invalidLanguage = ErrorCode("invalid_language")
    public static let invalidName = ErrorCode("invalid_name")
    public static let invalidParameter = ErrorCode("invalid_parameter")
    public static let invalidPrivacyK = ErrorCode("invalid_privacy_k")
    public static let invalidReason = ErrorCode("invalid_reason")
    public static let invalidReportThreshold = ErrorCode("invalid_report_threshold")
    public static let invalidRoleMapping = ErrorCode("invalid_role_mapping")
    public static let invalidScale = ErrorCode("invalid_scale")
    public static let invalidSlug = ErrorCode("invalid_slug")
    public static let invalidText = ErrorCode("invalid_text")
    public static let invalidTimeRange = ErrorCode("invalid_time_range")
    public static let invalidTimeZone = ErrorCode("invalid_time_zone")
    public static let invalidTitle = ErrorCode("invalid_title")
    public static let invalidToken = ErrorCode("invalid_token")
    public static let invalidTransition = ErrorCode("invalid_transition")
    public static let invalidValue = ErrorCode("invalid_value")
    public static let invalidXlsx = ErrorCode("invalid_xlsx")
    public static let malformedBody = ErrorCode("malformed_body")
    public static let malformedMultipart = ErrorCode("malformed_multipart")
    public static let malformedPath = ErrorCode("malformed_path")
    public static let mediaEmpty = ErrorCode("media_empty")
    public static let mediaMalformed = ErrorCode("media_malformed")
    public static let mediaNotFound = ErrorCode("media_not_found")
    public static let mediaTooLarge = ErrorCode("media_too_large")
    public static let mediaTypeMismatch = ErrorCode("media_type_mismatch")
    public static let missingBody = ErrorCode("missing_body")
    public static let missingCode = ErrorCode("missing_code")
    public static let missingDefaultLanguage = ErrorCode("missing_default_language")
    public static let missingFields = ErrorCode("missing_fields")
    public static let missingToken = ErrorCode("missing_token")
    public static let noTokenKeys = ErrorCode("no_token_keys")
    public static let notADemoOrganisation = ErrorCode("not_a_demo_organisation")
    public static let notAnEmployee = ErrorCode("not_an_employee")
    public static let notFound = ErrorCode("not_found")
    public static let notInAudience = ErrorCode("not_in_audience")
    public static let organisationExists = ErrorCode("organisation_exists")
    public static let organisationNotFound = ErrorCode("organisation_not_found")
    public static let outboundURLRefused = ErrorCode("outbound_url_refused")
    public static let overloaded = ErrorCode("overloaded")
    public static let ownPost = ErrorCode("own_post")
    public static let paperBatchConfirmed = ErrorCode("paper_batch_confirmed")
    public static let paperBatchNotFound = ErrorCode("paper_batch_not_found")
    public static let paperEntryConflict = ErrorCode("paper_entry_conflict")
    public static let paperEntryNotFound = ErrorCode("paper_entry_not_found")
    public static let postAlreadyDecided = ErrorCode("post_already_decided")
    public static let postNotFound = ErrorCode("post_not_found")
    public static let rateLimited = ErrorCode("rate_limited")
    public static let reasonRequired = ErrorCode("reason_required")
    public static let reminderWaveExists = ErrorCode("reminder_wave_exists")
    public static let reminderWaveNotFound = ErrorCode("reminder_wave_not_found")
    public static let scimTokenNotFound = ErrorCode("scim_token_not_found")
    public static let secretTooShort = ErrorCode("secret_too_short")
    public static let secretsKeyMissing = ErrorCode("secrets_key_missing")
    public static let sessionExists = ErrorCode("session_exists")
    public static let sessionExpired = ErrorCode("session_expired")
    public static let signatureNotFound = ErrorCode("signature_not_found")
    public static let ssoNotConfigured = ErrorCode("sso_not_configured")
    public static let textTooLong = ErrorCode("text_too_long")
    public static let tokenRequired = ErrorCode("token_required")
    public static let tooLarge = ErrorCode("too_large")
    public static let tooManyFiles = ErrorCode("too_many_files")
    public static let tooManyRows = ErrorCode("too_many_rows")
    public static let tooManyStreams = ErrorCode("too_many_streams")
    public static let unauthorized = ErrorCode("unauthorized")
    public static let unknownCountry = ErrorCode("unknown_country")
    public static let unknownEvent = ErrorCode("unknown_event")
    public static let unknownField = ErrorCode("unknown_field")
    public static let unreadableFile = ErrorCode("unreadable_file")
    public static let unsupportedMediaType = ErrorCode("unsupported_media_type")
    public static let userNameTaken = ErrorCode("user_name_taken")
    public static let webhookNotFound = ErrorCode("webhook_not_found")
    public static let xlsxTooLarge = ErrorCode("xlsx_too_large")
    // Import jobs (sql/0026).
    public static let importAbandoned = ErrorCode("import_abandoned")
    public static let importNotFound = ErrorCode("import_not_found")
    public static let uploadInterrupted = ErrorCode("upload_interrupted")

    /// Every code the service answers, in alphabetical order.
    public static let all: [ErrorCode] = [
        .alreadyCheckedIn, .batchTooLarge, .bodyRequired, .bodyTooLong, .campaignClosed, .campaignEnded,
        .campaignExists, .campaignNotActive, .campaignNotDraft, .campaignNotFound, .campaignNotOpen,
        .campaignNotStarted, .cancelled, .checkInClosed, .checkInNotOpen, .cityRequired,
        .columnMappingNotFound, .countryNotFound, .countryNotShown, .crossSiteRequest, .csrfTokenInvalid,
        .databaseTimeout, .databaseUnavailable, .deliveryInProgress, .deliveryNotFound, .demoImportFailed,
        .demoSigningRefused, .emailNotConfigured, .employeeInactive, .employeeNotFound, .eventNotFound, .eventOver,
        .eventRequired, .forbidden, .fullSyncRefused, .fullSyncUnconfirmed, .hostInactive, .hostNotFound,
        .httpError, .importBusy, .internalError, .invalidBody, .invalidCapacity, .invalidChannel,
        .invalidCity, .invalidClaim, .invalidClientId, .invalidClientSecret, .invalidCode,
        .invalidColumnMapping, .invalidCountry, .invalidCursor, .invalidDates, .invalidDescription,
        .invalidEncoding, .invalidEvents, .invalidGoal, .invalidHashtag, .invalidHeader, .invalidHost,
        .invalidIssuer, .invalidLanguage, .invalidName, .invalidParameter, .invalidPrivacyK, .invalidReason,
        .invalidReportThreshold, .invalidRoleMapping, .invalidScale, .invalidSlug, .invalidText,
        .invalidTimeRange, .invalidTimeZone, .invalidTitle, .invalidToken, .invalidTransition,
        .invalidValue, .invalidXlsx, .malformedBody, .malformedMultipart, .malformedPath, .mediaEmpty,
        .mediaMalformed, .mediaNotFound, .mediaTooLarge, .mediaTypeMismatch, .missingBody, .missingCode,
        .missingDefaultLanguage, .missingFields, .missingToken, .noTokenKeys, .notADemoOrganisation,
        .notAnEmployee, .notFound, .notInAudience, .organisationExists, .organisationNotFound,
        .outboundURLRefused, .overloaded, .ownPost, .paperBatchConfirmed, .paperBatchNotFound,
        .paperEntryConflict, .paperEntryNotFound, .postAlreadyDecided, .postNotFound, .rateLimited,
        .reasonRequired, .reminderWaveExists, .reminderWaveNotFound, .scimTokenNotFound, .secretTooShort, .secretsKeyMissing, .sessionExists,
        .sessionExpired, .signatureNotFound, .ssoNotConfigured, .textTooLong, .tokenRequired, .tooLarge,
        .tooManyFiles, .tooManyRows, .tooManyStreams, .unauthorized, .unknownCountry, .unknownEvent,
        .unknownField, .unreadableFile, .unsupportedMediaType, .userNameTaken, .webhookNotFound,
        .xlsxTooLarge,
        .importAbandoned, .importNotFound, .uploadInterrupted,
    ]
}
