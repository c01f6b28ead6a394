// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "xinyong",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "xinyong", targets: ["xinyong"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Already there for Hummingbird; named so that benches can stop their server gracefully.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
    ],
    targets: [
        // Pure domain rules: codes, regions, catalogue, records, calendar. No I/O beyond reading its own bundled data.
        .target(
            name: "XinyongModel",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Resources")]
        ),
        // Schema, migrations and SQL (one code path for SQLite and PostgreSQL).
        .target(
            name: "XinyongStore",
            dependencies: [
                "XinyongModel",
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Who is asking: the office's accounts (bcrypt, TOTP, throttled logins), sessions and API keys.
        .target(
            name: "XinyongAccess",
            dependencies: [
                "XinyongModel", "XinyongStore",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Data exchange: departments' batches (API, CSV, CLI, form), validation, versions, change feed.
        .target(name: "XinyongExchange", dependencies: ["XinyongModel", "XinyongStore", .product(name: "Crypto", package: "swift-crypto")]),
        // City credit monitoring: indicator editions, the scoring engine, ranks, intervals, sensitivity. Pure.
        .target(name: "XinyongMonitoring", dependencies: ["XinyongModel"], resources: [.copy("Resources")]),
        // Monitoring use cases over the store: imports, demo data, cached monthly results.
        .target(name: "XinyongMonitoringService", dependencies: ["XinyongMonitoring", "XinyongStore"]),
        // What the public sees: search, profiles, listings, lists, signed credit reports and their verification.
        .target(name: "XinyongPublication", dependencies: ["XinyongModel", "XinyongStore"]),
        // Joint rewards and punishments: checks before handling, name matching, feedback, the office's rates.
        .target(name: "XinyongJoint", dependencies: ["XinyongModel", "XinyongStore", .product(name: "Crypto", package: "swift-crypto"),
                                                     .product(name: "Logging", package: "swift-log")]),
        // Due process: objections, credit repair, their clocks and figures.
        .target(name: "XinyongDueProcess", dependencies: ["XinyongModel", "XinyongStore", "XinyongExchange"]),
        // Credit commitments: online signing, fulfilment and breaches (as records through the exchange).
        .target(name: "XinyongCommitments", dependencies: ["XinyongModel", "XinyongStore", "XinyongExchange"]),
        // The audit trail nobody can rewrite: the hash chain's sealer, signed checkpoints, the verifier.
        .target(name: "XinyongAudit", dependencies: ["XinyongModel", "XinyongStore", .product(name: "Crypto", package: "swift-crypto"),
                                                     .product(name: "Logging", package: "swift-log")]),
        // Public credit evaluation: every subject's grade, kept current from the change feed, and why.
        .target(name: "XinyongEvaluation", dependencies: ["XinyongModel", "XinyongStore"]),
        // Graded supervision and double-random inspections: risk mappings, plans, the verifiable draw, results.
        .target(name: "XinyongSupervision", dependencies: ["XinyongModel", "XinyongStore", "XinyongExchange"]),
        // Honesty demonstration parks: naming them, their member lists, figures beside the city's, yearly reviews.
        .target(name: "XinyongParks", dependencies: ["XinyongModel", "XinyongStore"]),
        // Honesty culture: typical cases, news and policies in Markdown, rendered by Ink and sanitised.
        .target(name: "XinyongCulture", dependencies: ["XinyongModel", "XinyongStore", .product(name: "Ink", package: "Ink")]),
        // Third-party credit agencies and banks: registration, subjects' consents, consented reads, lending checks, the public export.
        .target(name: "XinyongAgencies", dependencies: ["XinyongModel", "XinyongStore", "XinyongExchange", "XinyongPublication",
                                                        .product(name: "Crypto", package: "swift-crypto")]),
        // Synthetic Chenzhou: departments, subjects and three years of records.
        .target(name: "XinyongDemo", dependencies: ["XinyongModel", "XinyongStore", "XinyongEvaluation", "XinyongSupervision", "XinyongParks", "XinyongCulture"]),
        // HTTP API and the server-rendered public site.
        .target(
            name: "XinyongWeb",
            dependencies: [
                "XinyongModel", "XinyongStore", "XinyongAccess", "XinyongExchange", "XinyongMonitoringService", "XinyongPublication",
                "XinyongJoint", "XinyongDueProcess", "XinyongAudit", "XinyongEvaluation", "XinyongCommitments", "XinyongSupervision",
                "XinyongParks",
                "XinyongCulture",
                "XinyongAgencies",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [.copy("Resources")]
        ),
        // One file per subcommand; the executable only calls into here.
        .target(
            name: "XinyongCLI",
            dependencies: [
                "XinyongModel", "XinyongStore", "XinyongAccess", "XinyongDemo", "XinyongWeb", "XinyongExchange", "XinyongMonitoringService",
                "XinyongPublication", "XinyongJoint", "XinyongDueProcess", "XinyongAudit", "XinyongEvaluation", "XinyongCommitments", "XinyongSupervision",
                "XinyongParks",
                "XinyongCulture",
                "XinyongAgencies",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
            ]
        ),
        .executableTarget(name: "xinyong", dependencies: ["XinyongCLI"]),
        .testTarget(name: "XinyongModelTests", dependencies: ["XinyongModel"]),
        // Test support: fresh SQLite and PostgreSQL databases for the tests of every layer.
        .target(name: "XinyongTestSupport", dependencies: ["XinyongStore"], path: "Tests/Support"),
        .testTarget(name: "XinyongStoreTests", dependencies: ["XinyongStore", "XinyongDemo", "XinyongTestSupport"]),
        .testTarget(
            name: "XinyongWebTests",
            dependencies: [
                "XinyongWeb", "XinyongDemo", "XinyongAccess", "XinyongAudit", "XinyongTestSupport",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(name: "XinyongCLITests", dependencies: ["XinyongCLI", "XinyongAudit", "XinyongTestSupport", .product(name: "SQLKit", package: "sql-kit")]),
        .testTarget(name: "XinyongAuditTests", dependencies: ["XinyongAudit", "XinyongTestSupport", .product(name: "SQLKit", package: "sql-kit")]),
        .testTarget(
            name: "XinyongAccessTests",
            dependencies: ["XinyongAccess", "XinyongTestSupport", .product(name: "HummingbirdOTP", package: "hummingbird-auth")]),
        .testTarget(name: "XinyongMonitoringTests", dependencies: ["XinyongMonitoring", "XinyongMonitoringService", "XinyongTestSupport"]),
        .testTarget(name: "XinyongExchangeTests", dependencies: ["XinyongExchange", "XinyongTestSupport"]),
        .testTarget(
            name: "XinyongSupervisionTests",
            dependencies: ["XinyongSupervision", "XinyongExchange", "XinyongDemo", "XinyongTestSupport", .product(name: "SQLKit", package: "sql-kit"),
                           .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "XinyongParksTests", dependencies: ["XinyongParks", "XinyongDemo", "XinyongTestSupport"]),
        .testTarget(name: "XinyongCultureTests", dependencies: ["XinyongCulture", "XinyongDemo", "XinyongTestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "XinyongAgenciesTests", dependencies: ["XinyongAgencies", "XinyongExchange", "XinyongTestSupport",
                                                                .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "XinyongCommitmentsTests", dependencies: ["XinyongCommitments", "XinyongJoint", "XinyongTestSupport"]),
        .testTarget(name: "XinyongDueProcessTests", dependencies: ["XinyongDueProcess", "XinyongDemo", "XinyongTestSupport"]),
        .testTarget(name: "XinyongEvaluationTests", dependencies: ["XinyongEvaluation", "XinyongDemo", "XinyongTestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "XinyongPublicationTests", dependencies: ["XinyongPublication", "XinyongDemo", "XinyongTestSupport"]),
        .testTarget(
            name: "XinyongJointTests",
            dependencies: ["XinyongJoint", "XinyongExchange", "XinyongDueProcess", "XinyongEvaluation", "XinyongDemo", "XinyongTestSupport"],
            resources: [.copy("Resources")]),
    ],
    swiftLanguageModes: [.v6]
)
