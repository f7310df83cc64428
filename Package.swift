// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Mobilise",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "EmbeddedPostgres", targets: ["EmbeddedPostgres"]),
        .library(name: "PostgresMigrations", targets: ["PostgresMigrations"]),
        .library(name: "MobiliseSchema", targets: ["MobiliseSchema"]),
        .library(name: "MobiliseDomain", targets: ["MobiliseDomain"]),
        .library(name: "MobiliseStore", targets: ["MobiliseStore"]),
        .library(name: "MobiliseAPI", targets: ["MobiliseAPI"]),
        .library(name: "QRCode", targets: ["QRCode"]),
        .executable(name: "mobilise", targets: ["mobilise"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.20.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.1.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.20"),
        // Outbound HTTPS for webhooks, Teams and Slack (the outbox's sender).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // E-mail reminders: the SMTP client (SMTPClient.swift) on SwiftNIO and swift-nio-ssl (both
        // already there for AsyncHTTPClient).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
    ],
    targets: [
        // libpq, the PostgreSQL C client library (Debian: libpq-dev, macOS: brew install libpq).
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // libqrencode, the QR code encoder (Debian: libqrencode-dev, macOS: brew install qrencode).
        .systemLibrary(
            name: "CQREncode",
            pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"]), .brew(["qrencode"])]
        ),
        // QR codes for posters: libqrencode's matrix as a Swift value, and as an SVG path.
        .target(name: "QRCode", dependencies: ["CQREncode"], swiftSettings: swiftSettings),
        // Our Swift client over libpq: connections, queries, values, pool, COPY, LISTEN, pipelines.
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // A real PostgreSQL server with no setup: finds the binaries, initdb, start, stop.
        .target(
            name: "EmbeddedPostgres",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Applies numbered SQL migrations in order, once, under an advisory lock.
        .target(
            name: "PostgresMigrations",
            dependencies: [
                "Postgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Mobilise's schema: the files of sql/, compiled into the binary by the EmbedSQL plugin.
        .target(
            name: "MobiliseSchema",
            dependencies: ["PostgresMigrations"],
            swiftSettings: swiftSettings,
            plugins: ["EmbedSQL"]
        ),
        .executableTarget(name: "embed-sql", swiftSettings: swiftSettings),
        // The campaign domain: types and pure rules (rankings, privacy folding, CSV, media sniffing).
        // It imports neither the database nor HTTP.
        .target(
            name: "MobiliseDomain",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                // XLSX workbooks are zip archives of XML parts.
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            swiftSettings: swiftSettings
        ),
        // The campaign library over PostgreSQL: organisations, workforce, campaigns, signatures,
        // posts, events, rankings and the audit log.
        .target(
            name: "MobiliseStore",
            dependencies: [
                "MobiliseDomain", "Postgres", "PostgresMigrations",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .plugin(name: "EmbedSQL", capability: .buildTool(), dependencies: ["embed-sql"]),
        // The intranet service: the JSON HTTP API over the campaign library (Hummingbird 2).
        .target(
            name: "MobiliseAPI",
            dependencies: [
                "MobiliseStore", "MobiliseDomain", "PostgresMigrations", "MobiliseSchema",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // Posters' QR codes.
                "QRCode",
                // E-mail reminders' SMTP client.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [
                .embedInCode("openapi.yaml"),
                // The leadership dashboard (plain HTML, JS and CSS; no build step) and its world map.
                .embedInCode("Dashboard/dashboard.html"), .embedInCode("Dashboard/sign-in.html"),
                .embedInCode("Dashboard/dashboard.js"), .embedInCode("Dashboard/sign-in.js"),
                .embedInCode("Dashboard/dashboard.css"), .embedInCode("Dashboard/world-countries.geojson"),
                // The employee's page, its widget, and the pages' message catalogues (one per language).
                .embedInCode("Pages/employee.html"), .embedInCode("Pages/employee.js"), .embedInCode("Pages/employee.css"),
                .embedInCode("Pages/widget.html"), .embedInCode("Pages/widget.js"), .embedInCode("Pages/i18n.js"),
                .embedInCode("Pages/i18n/en.json"), .embedInCode("Pages/i18n/fr.json"), .embedInCode("Pages/i18n/de.json"),
                .embedInCode("Pages/i18n/es.json"), .embedInCode("Pages/i18n/pt-BR.json"), .embedInCode("Pages/i18n/pl.json"),
                .embedInCode("Pages/i18n/hi.json"), .embedInCode("Pages/i18n/zh-Hans.json"),
                // The HR console (the same approach): page, script, style sheet; its sentences are in Pages/i18n.
                .embedInCode("Console/console.html"), .embedInCode("Console/console.js"),
                .embedInCode("Console/console.css"),
            ],
            swiftSettings: swiftSettings
        ),
        // The demo organisation: a Schneider-like workforce and a #HeForShe drive, from a fixed seed.
        .target(
            name: "MobiliseDemo",
            dependencies: ["MobiliseStore", "MobiliseDomain", "Postgres", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Test support: one throwaway cluster per test process, a fresh migrated database per test.
        .target(
            name: "MobiliseTesting",
            dependencies: ["Postgres", "EmbeddedPostgres", "PostgresMigrations", "MobiliseSchema", "MobiliseStore"],
            swiftSettings: swiftSettings
        ),
        // The `mobilise` command.
        .executableTarget(
            name: "mobilise",
            dependencies: [
                "Postgres", "EmbeddedPostgres", "PostgresMigrations", "MobiliseSchema", "MobiliseStore", "MobiliseDomain",
                "MobiliseAPI", "MobiliseDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["Postgres", "MobiliseTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EmbeddedPostgresTests",
            dependencies: ["EmbeddedPostgres", "MobiliseTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MobiliseDomainTests",
            dependencies: ["MobiliseDomain", "EmbeddedPostgres"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MobiliseStoreTests",
            dependencies: ["MobiliseStore", "MobiliseTesting", "MobiliseDemo", "MobiliseSchema", "PostgresMigrations"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MobiliseAPITests",
            dependencies: [
                "MobiliseAPI", "MobiliseTesting", "MobiliseDemo", "MobiliseSchema", "EmbeddedPostgres",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MigrationTests",
            dependencies: ["PostgresMigrations", "MobiliseSchema", "MobiliseTesting", "MobiliseStore", "MobiliseDomain"],
            swiftSettings: swiftSettings
        ),
        // Load and fault suites: the `mobilise` binary as a subprocess, real PostgreSQL, real HTTP.
        .testTarget(
            name: "MobiliseFaultTests",
            dependencies: [
                "mobilise", "MobiliseTesting", "MobiliseAPI", "MobiliseStore", "EmbeddedPostgres", "Postgres",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MobiliseCommandTests",
            dependencies: ["mobilise", "MobiliseTesting"],
            swiftSettings: swiftSettings
        ),
        // Benchmarks of the service's own parts (issue 25), built in release by bench/run:
        // signing's no-database ceiling (the same HTTP stack, middleware and token checks), the
        // rate limiter alone, and the batch's answer in text and binary format.
        .executableTarget(
            name: "signing-ceiling",
            dependencies: [
                "MobiliseAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/SigningCeiling",
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "rate-limiter-bench", dependencies: ["MobiliseAPI"], path: "Benchmarks/RateLimiterBench", swiftSettings: swiftSettings),
        // Text against binary results of the signing batch's answer, on a server of this machine.
        .executableTarget(
            name: "result-format-bench",
            dependencies: ["Postgres", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/ResultFormatBench",
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
