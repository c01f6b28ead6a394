import SQLKit
import XinyongModel

extension Repositories {
    public var jointSettings: JointSettingsRepository { .init(db: db) }
}

/// Settings the credit office changes at run time (audited), such as the name-match threshold.
public struct JointSettingsRepository: Sendable {
    let db: any SQLDatabase
    public static let nameMatchThreshold = "name_match_threshold"

    private struct Row: Decodable { let value: String }

    public func value(_ key: String) async throws -> String? {
        try await db.raw("SELECT value FROM joint_settings WHERE key = \(bind: key)").first(decoding: Row.self)?.value
    }

    public func set(_ key: String, to value: String, by actor: Actor) async throws {
        let old = try await self.value(key)
        if old == nil {
            try await db.insert(into: "joint_settings").columns("key", "value", "updated_by", "updated_at")
                .values(key, value, actor.name, Timestamp.now()).run()
        } else {
            try await db.update("joint_settings").set("value", to: value).set("updated_by", to: actor.name)
                .set("updated_at", to: Timestamp.now()).where("key", .equal, key).run()
        }
        try await AuditLog(db: db).append(actor, action: "set", entity: "joint_settings", entityID: key,
                                          detail: ["from": old ?? "(default)", "to": value])
    }
}
