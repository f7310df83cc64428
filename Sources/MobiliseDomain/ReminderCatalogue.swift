import Foundation

/// The sentences of reminder e-mails and of the unsubscribe page, one catalogue per language (the
/// employee page's languages, as its `Pages/i18n/*.json` catalogues). Each sentence is whole, with
/// named places (`{title}`, `{name}`, …) filled in: no sentence is built from translated pieces.
public struct ReminderCatalogue: Sendable, Equatable {
    public var subject: String
    public var greetingNamed: String
    public var greeting: String
    public var body: String
    public var action: String
    public var footer: String
    public var unsubscribe: String
    public var pageTitle: String
    public var pageQuestion: String
    public var pageButton: String
    public var pageDone: String
    public var pageUnknown: String

    /// The catalogue languages (BCP 47), English first.
    public static let languages = ["en", "fr", "de", "es", "pt-BR", "pl", "hi", "zh-Hans"]

    /// The catalogue of `language`, English for any other.
    public static func of(_ language: String) -> ReminderCatalogue {
        catalogues[language] ?? english
    }

    /// Fills the named places of `template`.
    public static func fill(_ template: String, _ values: [String: String]) -> String {
        var text = template
        for (name, value) in values {
            text = text.replacingOccurrences(of: "{\(name)}", with: value)
        }
        return text
    }

    static let english = ReminderCatalogue(
        subject: "Reminder: {title}", greetingNamed: "Hello {name},", greeting: "Hello,",
        body: "You have not yet added your name to {title} ({hashtag}). It takes a minute:",
        action: "Add my name",
        footer: "You receive this e-mail because you work at {organisation}. To stop these reminders: {unsubscribe}",
        unsubscribe: "unsubscribe",
        pageTitle: "Stop reminder e-mails", pageQuestion: "Stop receiving reminder e-mails about campaigns?",
        pageButton: "Stop the reminders", pageDone: "Done: you will not receive reminder e-mails any more.",
        pageUnknown: "This link is not valid any more.")

    static let catalogues: [String: ReminderCatalogue] = [
        "en": english,
        "fr": ReminderCatalogue(
            subject: "Rappel : {title}", greetingNamed: "Bonjour {name},", greeting: "Bonjour,",
            body: "Vous n’avez pas encore ajouté votre nom à {title} ({hashtag}). Cela prend une minute :",
            action: "Ajouter mon nom",
            footer: "Vous recevez cet e-mail parce que vous travaillez chez {organisation}. Pour ne plus recevoir ces rappels : {unsubscribe}",
            unsubscribe: "se désabonner",
            pageTitle: "Ne plus recevoir les rappels", pageQuestion: "Ne plus recevoir d’e-mails de rappel sur les campagnes ?",
            pageButton: "Arrêter les rappels", pageDone: "C’est fait : vous ne recevrez plus d’e-mails de rappel.",
            pageUnknown: "Ce lien n’est plus valable."),
        "de": ReminderCatalogue(
            subject: "Erinnerung: {title}", greetingNamed: "Hallo {name},", greeting: "Hallo,",
            body: "Sie haben Ihren Namen noch nicht zu {title} ({hashtag}) hinzugefügt. Es dauert nur eine Minute:",
            action: "Meinen Namen hinzufügen",
            footer: "Sie erhalten diese E-Mail, weil Sie bei {organisation} arbeiten. Um diese Erinnerungen abzubestellen: {unsubscribe}",
            unsubscribe: "abbestellen",
            pageTitle: "Erinnerungen abbestellen", pageQuestion: "Keine Erinnerungs-E-Mails zu Kampagnen mehr erhalten?",
            pageButton: "Erinnerungen abbestellen", pageDone: "Erledigt: Sie erhalten keine Erinnerungs-E-Mails mehr.",
            pageUnknown: "Dieser Link ist nicht mehr gültig."),
        "es": ReminderCatalogue(
            subject: "Recordatorio: {title}", greetingNamed: "Hola, {name}:", greeting: "Hola:",
            body: "Todavía no ha añadido su nombre a {title} ({hashtag}). Solo lleva un minuto:",
            action: "Añadir mi nombre",
            footer: "Recibe este correo porque trabaja en {organisation}. Para dejar de recibir estos recordatorios: {unsubscribe}",
            unsubscribe: "darse de baja",
            pageTitle: "Dejar de recibir recordatorios", pageQuestion: "¿Dejar de recibir correos de recordatorio sobre las campañas?",
            pageButton: "Dejar de recibirlos", pageDone: "Hecho: ya no recibirá correos de recordatorio.",
            pageUnknown: "Este enlace ya no es válido."),
        "pt-BR": ReminderCatalogue(
            subject: "Lembrete: {title}", greetingNamed: "Olá, {name},", greeting: "Olá,",
            body: "Você ainda não adicionou seu nome a {title} ({hashtag}). Leva só um minuto:",
            action: "Adicionar meu nome",
            footer: "Você recebe este e-mail porque trabalha na {organisation}. Para não receber mais estes lembretes: {unsubscribe}",
            unsubscribe: "cancelar a inscrição",
            pageTitle: "Cancelar os lembretes", pageQuestion: "Deixar de receber e-mails de lembrete sobre as campanhas?",
            pageButton: "Cancelar os lembretes", pageDone: "Pronto: você não receberá mais e-mails de lembrete.",
            pageUnknown: "Este link não é mais válido."),
        "pl": ReminderCatalogue(
            subject: "Przypomnienie: {title}", greetingNamed: "Dzień dobry, {name},", greeting: "Dzień dobry,",
            body: "Twojego nazwiska nie ma jeszcze w kampanii {title} ({hashtag}). To zajmie minutę:",
            action: "Dodaj moje nazwisko",
            footer: "Otrzymujesz tę wiadomość, ponieważ pracujesz w {organisation}. Aby nie otrzymywać tych przypomnień: {unsubscribe}",
            unsubscribe: "wypisz się",
            pageTitle: "Rezygnacja z przypomnień", pageQuestion: "Nie otrzymywać już e-maili z przypomnieniami o kampaniach?",
            pageButton: "Rezygnuję z przypomnień", pageDone: "Gotowe: nie będziesz już otrzymywać e-maili z przypomnieniami.",
            pageUnknown: "Ten link jest już nieważny."),
        "hi": ReminderCatalogue(
            subject: "अनुस्मारक: {title}", greetingNamed: "नमस्ते {name},", greeting: "नमस्ते,",
            body: "आपने अभी तक {title} ({hashtag}) में अपना नाम नहीं जोड़ा है। इसमें बस एक मिनट लगता है:",
            action: "मेरा नाम जोड़ें",
            footer: "आपको यह ईमेल इसलिए मिला है क्योंकि आप {organisation} में काम करते हैं। ये अनुस्मारक बंद करने के लिए: {unsubscribe}",
            unsubscribe: "सदस्यता समाप्त करें",
            pageTitle: "अनुस्मारक ईमेल बंद करें", pageQuestion: "अभियानों के बारे में अनुस्मारक ईमेल पाना बंद करें?",
            pageButton: "अनुस्मारक बंद करें", pageDone: "हो गया: अब आपको अनुस्मारक ईमेल नहीं मिलेंगे।",
            pageUnknown: "यह लिंक अब मान्य नहीं है।"),
        "zh-Hans": ReminderCatalogue(
            subject: "提醒：{title}", greetingNamed: "{name}，您好：", greeting: "您好：",
            body: "您还没有在 {title}（{hashtag}）上签名。只需一分钟：",
            action: "添加我的名字",
            footer: "您收到这封邮件是因为您在 {organisation} 工作。如不想再收到这些提醒：{unsubscribe}",
            unsubscribe: "退订",
            pageTitle: "停止提醒邮件", pageQuestion: "不再接收有关活动的提醒邮件？",
            pageButton: "停止提醒", pageDone: "已完成：您将不会再收到提醒邮件。",
            pageUnknown: "此链接已失效。"),
    ]
}

/// Where a reminder goes, in the absence of a language and time zone per person in the HR file:
/// the language and time zone of the person's country of work.
public enum ReminderLocale {
    /// The catalogue language of a country of work (ISO alpha-2), where one of the catalogue's
    /// languages is that country's usual language of work; nil elsewhere (the campaign's default
    /// language is used, else English). India is left out on purpose: English is the usual
    /// language of work there.
    public static func language(country: String) -> String? {
        languages[country]
    }

    /// A country's time zone: its only one, or (countries with several) the one most of its
    /// people live in (United States: New York; Brazil: São Paulo; Russia: Moscow; Australia:
    /// Sydney, …). nil for an unknown code (the organisation's time zone is used).
    public static func timeZone(country: String) -> String? {
        timeZones[country]
    }

    /// Every country's time zone, as parallel lists (for one bind of each).
    public static var allTimeZones: (countries: [String], zones: [String]) {
        let sorted = timeZones.sorted { $0.key < $1.key }
        return (sorted.map(\.key), sorted.map(\.value))
    }

    static let languages: [String: String] = {
        var table: [String: String] = [:]
        let groups: [(String, String)] = [
            ("fr", "FR BE LU MC CI SN CM ML BF NE TG BJ GA CG CD MG HT RE GP MQ GF NC PF YT PM BL MF WF"),
            ("de", "DE AT LI CH"),
            ("es", "ES MX AR CO CL PE VE EC GT CU BO DO HN PY SV NI CR PA UY PR GQ"),
            ("pt-BR", "BR PT AO MZ CV GW ST TL"),
            ("pl", "PL"),
            ("zh-Hans", "CN SG"),
        ]
        for (language, countries) in groups {
            for country in countries.split(separator: " ") { table[String(country)] = language }
        }
        return table
    }()

    static let timeZones: [String: String] = {
        let text = """
            AD=Europe/Andorra AE=Asia/Dubai AF=Asia/Kabul AG=America/Antigua AI=America/Anguilla AL=Europe/Tirane
            AM=Asia/Yerevan AO=Africa/Luanda AQ=Antarctica/McMurdo AR=America/Argentina/Buenos_Aires AS=Pacific/Pago_Pago
            AT=Europe/Vienna AU=Australia/Sydney AW=America/Aruba AX=Europe/Mariehamn AZ=Asia/Baku BA=Europe/Sarajevo
            BB=America/Barbados BD=Asia/Dhaka BE=Europe/Brussels BF=Africa/Ouagadougou BG=Europe/Sofia BH=Asia/Bahrain
            BI=Africa/Bujumbura BJ=Africa/Porto-Novo BL=America/St_Barthelemy BM=Atlantic/Bermuda BN=Asia/Brunei
            BO=America/La_Paz BQ=America/Kralendijk BR=America/Sao_Paulo BS=America/Nassau BT=Asia/Thimphu
            BW=Africa/Gaborone BY=Europe/Minsk BZ=America/Belize CA=America/Toronto CC=Indian/Cocos CD=Africa/Kinshasa
            CF=Africa/Bangui CG=Africa/Brazzaville CH=Europe/Zurich CI=Africa/Abidjan CK=Pacific/Rarotonga
            CL=America/Santiago CM=Africa/Douala CN=Asia/Shanghai CO=America/Bogota CR=America/Costa_Rica CU=America/Havana
            CV=Atlantic/Cape_Verde CW=America/Curacao CX=Indian/Christmas CY=Asia/Nicosia CZ=Europe/Prague DE=Europe/Berlin
            DJ=Africa/Djibouti DK=Europe/Copenhagen DM=America/Dominica DO=America/Santo_Domingo DZ=Africa/Algiers
            EC=America/Guayaquil EE=Europe/Tallinn EG=Africa/Cairo EH=Africa/El_Aaiun ER=Africa/Asmara ES=Europe/Madrid
            ET=Africa/Addis_Ababa FI=Europe/Helsinki FJ=Pacific/Fiji FK=Atlantic/Stanley FM=Pacific/Pohnpei
            FO=Atlantic/Faroe FR=Europe/Paris GA=Africa/Libreville GB=Europe/London GD=America/Grenada GE=Asia/Tbilisi
            GF=America/Cayenne GG=Europe/Guernsey GH=Africa/Accra GI=Europe/Gibraltar GL=America/Nuuk GM=Africa/Banjul
            GN=Africa/Conakry GP=America/Guadeloupe GQ=Africa/Malabo GR=Europe/Athens GS=Atlantic/South_Georgia
            GT=America/Guatemala GU=Pacific/Guam GW=Africa/Bissau GY=America/Guyana HK=Asia/Hong_Kong HN=America/Tegucigalpa
            HR=Europe/Zagreb HT=America/Port-au-Prince HU=Europe/Budapest ID=Asia/Jakarta IE=Europe/Dublin IL=Asia/Jerusalem
            IM=Europe/Isle_of_Man IN=Asia/Kolkata IO=Indian/Chagos IQ=Asia/Baghdad IR=Asia/Tehran IS=Atlantic/Reykjavik
            IT=Europe/Rome JE=Europe/Jersey JM=America/Jamaica JO=Asia/Amman JP=Asia/Tokyo KE=Africa/Nairobi KG=Asia/Bishkek
            KH=Asia/Phnom_Penh KI=Pacific/Tarawa KM=Indian/Comoro KN=America/St_Kitts KP=Asia/Pyongyang KR=Asia/Seoul
            KW=Asia/Kuwait KY=America/Cayman KZ=Asia/Almaty LA=Asia/Vientiane LB=Asia/Beirut LC=America/St_Lucia
            LI=Europe/Vaduz LK=Asia/Colombo LR=Africa/Monrovia LS=Africa/Maseru LT=Europe/Vilnius LU=Europe/Luxembourg
            LV=Europe/Riga LY=Africa/Tripoli MA=Africa/Casablanca MC=Europe/Monaco MD=Europe/Chisinau ME=Europe/Podgorica
            MF=America/Marigot MG=Indian/Antananarivo MH=Pacific/Majuro MK=Europe/Skopje ML=Africa/Bamako MM=Asia/Yangon
            MN=Asia/Ulaanbaatar MO=Asia/Macau MP=Pacific/Saipan MQ=America/Martinique MR=Africa/Nouakchott
            MS=America/Montserrat MT=Europe/Malta MU=Indian/Mauritius MV=Indian/Maldives MW=Africa/Blantyre
            MX=America/Mexico_City MY=Asia/Kuala_Lumpur MZ=Africa/Maputo NA=Africa/Windhoek NC=Pacific/Noumea
            NE=Africa/Niamey NF=Pacific/Norfolk NG=Africa/Lagos NI=America/Managua NL=Europe/Amsterdam NO=Europe/Oslo
            NP=Asia/Kathmandu NR=Pacific/Nauru NU=Pacific/Niue NZ=Pacific/Auckland OM=Asia/Muscat PA=America/Panama
            PE=America/Lima PF=Pacific/Tahiti PG=Pacific/Port_Moresby PH=Asia/Manila PK=Asia/Karachi PL=Europe/Warsaw
            PM=America/Miquelon PN=Pacific/Pitcairn PR=America/Puerto_Rico PS=Asia/Gaza PT=Europe/Lisbon PW=Pacific/Palau
            PY=America/Asuncion QA=Asia/Qatar RE=Indian/Reunion RO=Europe/Bucharest RS=Europe/Belgrade RU=Europe/Moscow
            RW=Africa/Kigali SA=Asia/Riyadh SB=Pacific/Guadalcanal SC=Indian/Mahe SD=Africa/Khartoum SE=Europe/Stockholm
            SG=Asia/Singapore SH=Atlantic/St_Helena SI=Europe/Ljubljana SJ=Arctic/Longyearbyen SK=Europe/Bratislava
            SL=Africa/Freetown SM=Europe/San_Marino SN=Africa/Dakar SO=Africa/Mogadishu SR=America/Paramaribo SS=Africa/Juba
            ST=Africa/Sao_Tome SV=America/El_Salvador SX=America/Lower_Princes SY=Asia/Damascus SZ=Africa/Mbabane
            TC=America/Grand_Turk TD=Africa/Ndjamena TF=Indian/Kerguelen TG=Africa/Lome TH=Asia/Bangkok TJ=Asia/Dushanbe
            TK=Pacific/Fakaofo TL=Asia/Dili TM=Asia/Ashgabat TN=Africa/Tunis TO=Pacific/Tongatapu TR=Europe/Istanbul
            TT=America/Port_of_Spain TV=Pacific/Funafuti TW=Asia/Taipei TZ=Africa/Dar_es_Salaam UA=Europe/Kiev
            UG=Africa/Kampala UM=Pacific/Midway US=America/New_York UY=America/Montevideo UZ=Asia/Tashkent VA=Europe/Vatican
            VC=America/St_Vincent VE=America/Caracas VG=America/Tortola VI=America/St_Thomas VN=Asia/Ho_Chi_Minh
            VU=Pacific/Efate WF=Pacific/Wallis WS=Pacific/Apia XK=Europe/Belgrade YE=Asia/Aden YT=Indian/Mayotte
            ZA=Africa/Johannesburg ZM=Africa/Lusaka ZW=Africa/Harare
            """
        var table: [String: String] = [:]
        for pair in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { table[String(parts[0])] = String(parts[1]) }
        }
        return table
    }()
}

/// A person's own language and time zone, as the HR file or an identity provider gives them
/// (`preferred_language`, `time_zone`; SCIM `preferredLanguage`, `timezone`): checked and
/// normalised here, and resolved to a catalogue language when a message is planned. Absent, the
/// person's country decides (``ReminderLocale``).
public enum PersonLocale {
    /// Longest language tag kept (RFC 5646 §4.4.1 suggests 35 characters suffice).
    public static let maxLanguageLength = 35
    /// Longest time zone name kept (the IANA database's longest is about 30).
    public static let maxTimeZoneLength = 64

    /// A well-formed BCP 47 language tag, normalised (`PT-br` → `pt-BR`, `zh_hans` → `zh-Hans`;
    /// an underscore, as in `en_US`, is read as a hyphen); nil for anything else. A primary
    /// language subtag of 2 to 8 letters, then subtags of 1 to 8 letters or digits; the case
    /// as RFC 5646 §2.1.1 recommends: language lower case, script title case, region upper case.
    public static func language(_ raw: String) -> String? {
        let text = raw.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "_", with: "-")
        guard !text.isEmpty, text.unicodeScalars.count <= maxLanguageLength, text.allSatisfy({ $0.isASCII }) else { return nil }
        let subtags = text.split(separator: "-", omittingEmptySubsequences: false)
        var normalised: [String] = []
        var afterSingleton = false
        for (index, subtag) in subtags.enumerated() {
            guard (1...8).contains(subtag.count), subtag.allSatisfy({ $0.isLetter || $0.isNumber }) else { return nil }
            let lower = subtag.lowercased()
            if index == 0 {
                // The language: letters only (an `x-…` private tag has no language; not for a catalogue).
                guard subtag.count >= 2, subtag.allSatisfy(\.isLetter) else { return nil }
                normalised.append(lower)
            } else if afterSingleton {
                normalised.append(lower)
            } else if subtag.count == 1 {
                // An extension or private use follows: the rest is kept in lower case.
                afterSingleton = true
                normalised.append(lower)
            } else if subtag.count == 4, subtag.allSatisfy(\.isLetter) {
                normalised.append(lower.prefix(1).uppercased() + lower.dropFirst())
            } else if (subtag.count == 2 && subtag.allSatisfy(\.isLetter)) || (subtag.count == 3 && subtag.allSatisfy(\.isNumber)) {
                normalised.append(subtag.uppercased())
            } else {
                normalised.append(lower)
            }
        }
        // A singleton must be followed by something.
        if afterSingleton, normalised.last?.count == 1 { return nil }
        return normalised.joined(separator: "-")
    }

    /// The catalogue language (``ReminderCatalogue/languages``) for a person's tag: the same tag,
    /// else the catalogue's one for its language (`fr-CA` → `fr`, `pt-PT` → `pt-BR`, `zh-CN` →
    /// `zh-Hans`, but not `zh-TW` or `zh-Hant`, written in the other script); nil when the
    /// catalogues lack it (the country's language is used).
    public static func catalogueLanguage(_ tag: String) -> String? {
        guard let tag = language(tag) else { return nil }
        if let exact = ReminderCatalogue.languages.first(where: { $0.caseInsensitiveCompare(tag) == .orderedSame }) { return exact }
        let subtags = tag.split(separator: "-").map(String.init)
        guard let primary = subtags.first else { return nil }
        if primary == "zh" {
            let script = subtags.dropFirst().first { $0.count == 4 }
            if let script { return script == "Hans" ? "zh-Hans" : nil }
            let region = subtags.dropFirst().first { $0.count == 2 }
            return ["TW", "HK", "MO"].contains(region ?? "") ? nil : "zh-Hans"
        }
        return ReminderCatalogue.languages.first { $0 == primary || $0.hasPrefix(primary + "-") }
    }

    /// The time zone of the IANA database this name gives (compared ignoring case, returned as the
    /// database spells it: `europe/paris` → `Europe/Paris`); nil for anything else, abbreviations
    /// and offsets (`CET`, `GMT+1`) included, whose meaning differs between systems.
    public static func timeZone(_ raw: String) -> String? {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty, text.count <= maxTimeZoneLength else { return nil }
        return knownTimeZones[text.lowercased()]
    }

    /// The names accepted: every region/city name of the system's time zone data (and the
    /// countries' zones of ``ReminderLocale``), plus `UTC`; lower case → as spelled.
    static let knownTimeZones: [String: String] = {
        var table: [String: String] = ["utc": "UTC", "etc/utc": "Etc/UTC"]
        for name in TimeZone.knownTimeZoneIdentifiers + Array(ReminderLocale.timeZones.values) where name.contains("/") {
            table[name.lowercased()] = name
        }
        return table
    }()

    /// Suggested values for a SCIM client (`/Schemas`' canonical values): each country's zone, sorted.
    public static var suggestedTimeZones: [String] { Array(Set(ReminderLocale.timeZones.values)).sorted() }
}
