import XinyongModel
import XinyongStore

/// The check's answer written as JSON by hand: the answer is encoded on every check, and Foundation's
/// JSONEncoder (with snake_case keys) was the largest single cost of a check in the profile. The text is
/// the same document `CheckAnswer`'s Codable conformance decodes (snake_case keys, nulls left out).
struct JSONWriter {
    private(set) var text = ""
    private var needsComma = [false]

    init() { text.reserveCapacity(2048) }

    private mutating func separate() {
        if needsComma[needsComma.count - 1] { text += "," }
        needsComma[needsComma.count - 1] = true
    }

    private mutating func key(_ k: String) {
        separate()
        text += "\""
        text += k
        text += "\":"
    }

    mutating func object(_ k: String? = nil, _ body: (inout JSONWriter) -> Void) {
        if let k { key(k) } else { separate() }
        text += "{"
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        text += "}"
    }

    mutating func array<T>(_ k: String, _ items: [T], _ body: (inout JSONWriter, T) -> Void) {
        key(k)
        text += "["
        needsComma.append(false)
        for item in items { body(&self, item) }
        needsComma.removeLast()
        text += "]"
    }

    mutating func string(_ k: String, _ value: String?) {
        guard let value else { return }
        key(k)
        Self.quote(value, into: &text)
    }

    mutating func element(_ value: String) {
        separate()
        Self.quote(value, into: &text)
    }

    mutating func number(_ k: String, _ value: Double?) {
        guard let value else { return }
        key(k)
        text += value.isFinite ? "\(value)" : "null"
    }

    mutating func number(_ k: String, _ value: Int?) {
        guard let value else { return }
        key(k)
        text += String(value)
    }

    mutating func bool(_ k: String, _ value: Bool) {
        key(k)
        text += value ? "true" : "false"
    }

    static func quote(_ s: String, into out: inout String) { appendJSONString(s, to: &out) }
}

extension CheckAnswer {
    /// The answer as the API sends it and the checks table keeps it.
    var json: String {
        var w = JSONWriter()
        w.object { w in
            w.string("check_id", checkId)
            w.string("checked_at", checkedAt)
            w.string("result", result.rawValue)
            w.object("department") { w in
                w.string("id", department.id)
                w.string("name", department.name)
                w.string("category", department.category)
            }
            w.object("scenario") { w in
                w.string("code", scenario.code)
                w.string("name", scenario.name)
            }
            w.object("query") { w in
                w.string("kind", query.kind)
                w.string("value", query.value)
            }
            w.object("match") { w in
                w.string("method", match.method.rawValue)
                w.number("score", match.score)
                w.number("threshold", match.threshold)
                if let explanation = match.explanation { w.array("explanation", explanation, Self.write) }
                if let s = match.subject {
                    w.object("subject") { w in
                        w.string("id", s.id)
                        w.string("code", s.code)
                        w.string("masked_id", s.maskedId)
                        w.string("name", s.name)
                        w.string("kind", s.kind)
                        w.string("region_code", s.regionCode)
                        w.string("status", s.status)
                    }
                }
                w.array("candidates", match.candidates) { w, c in
                    w.object { w in
                        w.string("subject_id", c.subjectId)
                        w.string("code", c.code)
                        w.string("name", c.name)
                        w.number("score", c.score)
                        w.array("explanation", c.explanation, Self.write)
                        w.string("suppressed", c.suppressed)
                    }
                }
                w.string("note", match.note)
            }
            w.array("memberships", memberships) { w, m in
                w.object { w in
                    w.string("list", m.list)
                    w.string("list_name", m.listName)
                    w.string("record_id", m.recordId)
                    w.string("record_type", m.recordType)
                    w.string("record_type_name", m.recordTypeName)
                    w.string("document_number", m.documentNumber)
                    w.object("department") { w in
                        w.string("id", m.department.id)
                        w.string("name", m.department.name)
                        w.string("category", m.department.category)
                    }
                    w.string("legal_basis", m.legalBasis)
                    w.string("start", m.start)
                    w.string("end", m.end)
                    w.bool("under_objection", m.underObjection)
                }
            }
            w.array("pending_notice", pendingNotice) { w, n in
                w.object { w in
                    w.string("list", n.list)
                    w.string("list_name", n.listName)
                    w.string("record_id", n.recordId)
                    w.string("record_type", n.recordType)
                    w.string("record_type_name", n.recordTypeName)
                    w.string("notice_id", n.noticeId)
                    w.string("state", n.state)
                    w.string("issued_on", n.issuedOn)
                    w.string("grace_until", n.graceUntil)
                }
            }
            w.array("measures", measures, Self.write)
            w.array("incentives", incentives, Self.write)
            if let e = evaluation {
                w.object("evaluation") { w in
                    w.string("grade", e.grade)
                    w.number("score", e.score)
                    w.number("model_version", e.modelVersion)
                    w.string("as_of", e.asOf)
                    w.array("reasons", e.reasons) { w, r in
                        w.object { w in
                            w.string("code", r.code)
                            w.string("text", r.text)
                            w.string("record_id", r.recordId)
                        }
                    }
                }
            }
            if let commitment { Self.write(&w, commitment: commitment) }
            Self.write(&w, xinyi: xinyi)
            w.object("freshness") { w in
                w.string("as_of", freshness.asOf)
                w.string("subject_records_updated_at", freshness.subjectRecordsUpdatedAt)
                w.string("latest_change_at", freshness.latestChangeAt)
                w.number("latest_change_seq", freshness.latestChangeSeq)
            }
            w.string("feedback", feedback)
        }
        return w.text
    }

    private static func write(_ w: inout JSONWriter, _ p: NameMatch.Part) {
        w.object { w in
            w.string("part", p.part)
            w.string("query", p.query)
            w.string("candidate", p.candidate)
            w.string("verdict", p.verdict)
            w.number("penalty", p.penalty)
            w.string("note", p.note)
        }
    }

    static func write(_ w: inout JSONWriter, _ m: MeasureBody) {
        w.object { w in
            w.string("id", m.id)
            w.string("kind", m.kind)
            w.string("title", m.title)
            w.bool("mandatory", m.mandatory)
            w.string("legal_basis", m.legalBasis)
            w.string("programme", m.programme)
            w.object("memorandum") { w in
                w.string("id", m.memorandum.id)
                w.string("title", m.memorandum.title)
                w.string("document_number", m.memorandum.documentNumber)
            }
            w.array("basis_record_ids", m.basisRecordIds) { w, id in w.element(id) }
        }
    }
}
