// swift-tools-version:6.1
// The peer for issue 6's benchmark: Mobilise's signing endpoint written the way a Swift developer
// would reach for first — Hummingbird 2 + vapor/postgres-nio + jwt-kit, one INSERT per request.
// A separate package (not a product of Mobilise), so the main package's dependencies stay lean.
// Versions are pinned exactly so every benchmark run measures the same peer.
import PackageDescription

let package = Package(
    name: "SigningPeer",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "signing-peer", targets: ["SigningPeer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", exact: "5.8.0"),
    ],
    targets: [
        .executableTarget(
            name: "SigningPeer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
