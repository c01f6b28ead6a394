import FluentKit
import SQLKit

/// Due process: who filed an objection and how it was decided, repair applications with their credit
/// commitment, and the evidence files of both (kept in the database, so that an acknowledged filing and
/// its files commit together and survive a crash together).
struct M0008DueProcess: AsyncMigration {
    var name: String { "0008_due_process" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let blob = sql.dialect.name == "sqlite" ? "BLOB" : "BYTEA"
        var statements = [
            "kind TEXT NOT NULL DEFAULT 'content'", "department_id TEXT", "region_code TEXT", "record_version BIGINT",
            "filer_name TEXT", "filer_identifier TEXT", "filer_contact TEXT", "follow_up_hash TEXT", "repair_id TEXT",
            "accepted_at TEXT", "accepted_by TEXT", "decided_by TEXT", "reasons TEXT",
        ].map { "ALTER TABLE objections ADD COLUMN \($0)" }
        statements += [
            // Objections filed before this migration (the demo's) take their department from the record.
            """
            UPDATE objections SET department_id = (SELECT r.department_id FROM credit_records r WHERE r.id = objections.record_id),
            region_code = (SELECT r.region_code FROM credit_records r WHERE r.id = objections.record_id),
            record_version = (SELECT r.version FROM credit_records r WHERE r.id = objections.record_id)
            """,
            "CREATE UNIQUE INDEX objections_number ON objections (id)",
            "CREATE INDEX objections_status ON objections (status, due_on)",
            "CREATE INDEX objections_department ON objections (department_id, status)",
            """
            CREATE TABLE repair_applications (
                subject_id TEXT NOT NULL, id TEXT NOT NULL, record_id TEXT NOT NULL, department_id TEXT NOT NULL,
                region_code TEXT NOT NULL, conduct TEXT NOT NULL, filer_name TEXT NOT NULL, filer_identifier TEXT NOT NULL,
                filer_contact TEXT NOT NULL, commitment_signer TEXT NOT NULL, commitment_hash TEXT NOT NULL,
                follow_up_hash TEXT NOT NULL, status TEXT NOT NULL, filed_at TEXT NOT NULL, filed_on TEXT NOT NULL,
                answer_due TEXT NOT NULL, forwarded_at TEXT, forwarded_by TEXT, decision_due TEXT, decided_at TEXT,
                decided_by TEXT, reasons TEXT, PRIMARY KEY (subject_id, id))
            """,
            "CREATE UNIQUE INDEX repair_applications_number ON repair_applications (id)",
            "CREATE INDEX repair_applications_record ON repair_applications (record_id, status)",
            "CREATE INDEX repair_applications_status ON repair_applications (status, answer_due)",
            "CREATE INDEX repair_applications_department ON repair_applications (department_id, status)",
            """
            CREATE TABLE evidence_files (
                subject_id TEXT NOT NULL, owner_id TEXT NOT NULL, seq BIGINT NOT NULL, file_name TEXT NOT NULL,
                media_type TEXT NOT NULL, size BIGINT NOT NULL, sha256 TEXT NOT NULL, content \(blob) NOT NULL,
                uploaded_at TEXT NOT NULL, PRIMARY KEY (subject_id, owner_id, seq))
            """,
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["evidence_files", "repair_applications"] { try await sql.drop(table: table).run() }
    }
}
