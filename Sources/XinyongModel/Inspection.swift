import Crypto
import Foundation

// Graded supervision and double-random inspections (分级分类监管, 双随机一公开). Pure: the mapping from
// grades to risk classes, the plan, its checks, and the draw anyone can recompute (docs/inspections.md).

/// How often a department inspects whom: each grade (and the ungraded) maps to a risk class, and each
/// class has an inspection ratio. Data, versioned per department, every change audited.
public struct RiskMapping: Sendable, Codable, Equatable {
    public struct RiskClass: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        /// Share of the class's candidates drawn, from 0 to 1, in steps of 0.0001 (万分之一).
        public var ratio: Double

        public init(code: String, name: String, ratio: Double) {
            self.code = code
            self.name = name
            self.ratio = ratio
        }
    }

    public var classes: [RiskClass]
    /// Grade (`A`…`D`, or `ungraded` for a subject never evaluated) → risk class code.
    public var grades: [String: String]

    public init(classes: [RiskClass], grades: [String: String]) {
        self.classes = classes
        self.grades = grades
    }

    /// Subjects the evaluation has not graded are a risk class of their own choosing, never silently "A".
    public static let ungraded = "ungraded"
    public static let gradeKeys = Grade.allCases.map(\.rawValue) + [ungraded]

    /// The mapping a department uses until it sets its own (`Resources/risk-mapping.json`).
    public static let shipped: RiskMapping = {
        do {
            return try JSONDecoder().decode(RiskMapping.self, from: ShippedData.data("risk-mapping", ext: "json"))
        } catch {
            preconditionFailure("risk-mapping.json does not decode: \(error)")
        }
    }()

    /// Every defect, so that one refusal tells the department everything to fix.
    public func defects() -> [String] {
        var out: [String] = []
        if classes.isEmpty { out.append("the mapping has no risk classes") }
        var seen = Set<String>()
        for c in classes {
            if !InspectionText.isCode(c.code) { out.append("risk class code '\(c.code.prefix(40))' must be 1–32 letters, digits, '_' or '-'") }
            if !seen.insert(c.code).inserted { out.append("risk class \(c.code) is defined twice") }
            if c.name.trimmingCharacters(in: .whitespaces).isEmpty { out.append("risk class \(c.code) has no name") }
            if let defect = Ratio.defect(c.ratio, of: "risk class \(c.code)") { out.append(defect) }
        }
        for key in Self.gradeKeys {
            guard let target = grades[key] else { out.append("grade \(key) is not mapped to a risk class"); continue }
            if !seen.contains(target) { out.append("grade \(key) maps to \(target), which is not a risk class of the mapping") }
        }
        for key in grades.keys.sorted() where !Self.gradeKeys.contains(key) {
            out.append("'\(key.prefix(20))' is not a grade; grades are \(Self.gradeKeys.joined(separator: ", "))")
        }
        return out
    }

    /// The risk class of a subject with this grade (nil: never evaluated).
    public func riskClass(for grade: Grade?) -> String? { grades[grade?.rawValue ?? Self.ungraded] }

    public func riskClass(_ code: String) -> RiskClass? { classes.first { $0.code == code } }
}

/// Ratios travel as doubles but are kept as whole ten-thousandths, so that the target count
/// ceil(ratio × n) is integer arithmetic, the same in every language that recomputes it.
public enum Ratio {
    public static let scale = 10_000

    public static func defect(_ ratio: Double, of what: String) -> String? {
        if !ratio.isFinite || ratio < 0 { return "the ratio \(ratio) of \(what) is below 0" }
        if ratio > 1 { return "the ratio \(ratio) of \(what) is above 1" }
        if abs(ratio * Double(scale) - (ratio * Double(scale)).rounded()) > 1e-6 {
            return "the ratio \(ratio) of \(what) has more than 4 decimal places"
        }
        return nil
    }

    public static func basisPoints(_ ratio: Double) -> Int { Int((ratio * Double(scale)).rounded()) }

    /// ceil(bp × n / 10000): at least one target from a non-empty stratum with a positive ratio.
    public static func targets(basisPoints bp: Int, of n: Int) -> Int { (bp * n + scale - 1) / scale }
}

/// One subject that may be drawn, as frozen when the plan was published.
public struct InspectionCandidate: Sendable, Codable, Equatable, Hashable {
    public var subjectID: String
    public var riskClass: String
    public var regionCode: String

    public init(subjectID: String, riskClass: String, regionCode: String) {
        self.subjectID = subjectID
        self.riskClass = riskClass
        self.regionCode = regionCode
    }
}

public struct Inspector: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    /// Subjects (ids) and regions (GB/T 2260, a region and everything under it) this inspector may not inspect.
    public var conflictSubjects: [String]
    public var conflictRegions: [String]

    public init(id: String, name: String, conflictSubjects: [String] = [], conflictRegions: [String] = []) {
        self.id = id
        self.name = name
        self.conflictSubjects = conflictSubjects
        self.conflictRegions = conflictRegions
    }

    enum CodingKeys: String, CodingKey {
        case id, name
        case conflictSubjects = "conflict_subjects"
        case conflictRegions = "conflict_regions"
    }

    public func conflicts(with candidate: InspectionCandidate) -> Bool {
        conflictSubjects.contains(candidate.subjectID)
            || conflictRegions.contains { InspectionText.region(candidate.regionCode, isWithin: $0) }
    }
}

/// What a department asks for; ``InspectionPlan/make(_:candidates:)`` checks it against the candidates.
public struct InspectionPlanDraft: Sendable, Equatable {
    public struct Stratum: Sendable, Equatable {
        public var riskClass: String
        public var name: String
        public var ratio: Double
        public init(riskClass: String, name: String, ratio: Double) {
            self.riskClass = riskClass
            self.name = name
            self.ratio = ratio
        }
    }

    public var id: String
    public var departmentID: String
    public var title: String
    public var matters: [String]
    public var kinds: [SubjectKind]
    public var regions: [String]
    public var strata: [Stratum]
    public var inspectors: [Inspector]
    public var inspectorsPerTarget: Int
    public var maxTargetsPerInspector: Int
    public var publicValueName: String
    public var publicValueOn: CivilDate
    public var mappingVersion: Int
    public var publishedOn: CivilDate

    public init(id: String, departmentID: String, title: String, matters: [String], kinds: [SubjectKind], regions: [String],
                strata: [Stratum], inspectors: [Inspector], inspectorsPerTarget: Int, maxTargetsPerInspector: Int,
                publicValueName: String, publicValueOn: CivilDate, mappingVersion: Int, publishedOn: CivilDate) {
        self.id = id
        self.departmentID = departmentID
        self.title = title
        self.matters = matters
        self.kinds = kinds
        self.regions = regions
        self.strata = strata
        self.inspectors = inspectors
        self.inspectorsPerTarget = inspectorsPerTarget
        self.maxTargetsPerInspector = maxTargetsPerInspector
        self.publicValueName = publicValueName
        self.publicValueOn = publicValueOn
        self.mappingVersion = mappingVersion
        self.publishedOn = publishedOn
    }

    /// The strata of a mapping: every class some grade maps to, with its ratio.
    public static func strata(of mapping: RiskMapping) -> [Stratum] {
        let used = Set(mapping.grades.values)
        return mapping.classes.filter { used.contains($0.code) }.map { Stratum(riskClass: $0.code, name: $0.name, ratio: $0.ratio) }
    }
}

/// A plan as published: everything the draw depends on except the public value, which is not yet known.
/// Its canonical JSON (sorted keys, no spaces, integers only) is what its SHA-256 covers.
public struct InspectionPlan: Sendable, Decodable, Equatable {
    public struct Stratum: Sendable, Codable, Equatable {
        public var riskClass: String
        public var name: String
        public var ratioBP: Int
        public var candidates: Int
        public var targets: Int
        enum CodingKeys: String, CodingKey {
            case riskClass = "risk_class", name, ratioBP = "ratio_bp", candidates, targets
        }
    }

    public var algorithm: String
    public var id: String
    public var departmentID: String
    public var title: String
    public var matters: [String]
    public var kinds: [String]
    public var regions: [String]
    public var strata: [Stratum]
    public var inspectors: [Inspector]
    public var inspectorsPerTarget: Int
    public var maxTargetsPerInspector: Int
    public var publicValueName: String
    public var publicValueOn: CivilDate
    public var mappingVersion: Int
    public var publishedOn: CivilDate
    public var candidateCount: Int
    public var candidateFingerprint: String

    enum CodingKeys: String, CodingKey {
        case algorithm, id, title, matters, kinds, regions, strata, inspectors
        case departmentID = "department_id"
        case inspectorsPerTarget = "inspectors_per_target"
        case maxTargetsPerInspector = "max_targets_per_inspector"
        case publicValueName = "public_value_name"
        case publicValueOn = "public_value_on"
        case mappingVersion = "mapping_version"
        case publishedOn = "published_on"
        case candidateCount = "candidate_count"
        case candidateFingerprint = "candidate_fingerprint"
    }

    public static let algorithmName = "xinyong-draw-1"
    /// The Administrative Penalty Law (art. 42) requires at least two enforcement officers.
    public static let minimumInspectorsPerTarget = 2
    /// Bounds on the plan's ratios: far above any real plan (an inspection team, a year's caseload), low enough
    /// that no product of them overflows.
    public static let maximumInspectorsPerTarget = 20
    public static let maximumTargetsPerInspector = 100_000

    public var targetCount: Int { strata.reduce(0) { $0 + $1.targets } }

    /// Written by hand rather than by JSONEncoder, whose `.sortedKeys` order is not specified as byte order
    /// (`public_value_on` before `published_on` is what Python's `sort_keys` gives).
    public var canonicalJSON: String {
        func stratum(_ s: Stratum) -> CanonicalJSON {
            .object(["risk_class": .string(s.riskClass), "name": .string(s.name), "ratio_bp": .int(s.ratioBP),
                     "candidates": .int(s.candidates), "targets": .int(s.targets)])
        }
        func inspector(_ i: Inspector) -> CanonicalJSON {
            .object(["id": .string(i.id), "name": .string(i.name), "conflict_subjects": .strings(i.conflictSubjects),
                     "conflict_regions": .strings(i.conflictRegions)])
        }
        return CanonicalJSON.object([
            "algorithm": .string(algorithm), "id": .string(id), "department_id": .string(departmentID), "title": .string(title),
            "matters": .strings(matters), "kinds": .strings(kinds), "regions": .strings(regions), "strata": .array(strata.map(stratum)),
            "inspectors": .array(inspectors.map(inspector)), "inspectors_per_target": .int(inspectorsPerTarget),
            "max_targets_per_inspector": .int(maxTargetsPerInspector), "public_value_name": .string(publicValueName),
            "public_value_on": .string(publicValueOn.description), "mapping_version": .int(mappingVersion),
            "published_on": .string(publishedOn.description), "candidate_count": .int(candidateCount),
            "candidate_fingerprint": .string(candidateFingerprint),
        ]).text
    }

    public var sha256: String { InspectionDraw.sha256(canonicalJSON) }

    public static func decode(canonicalJSON text: String) throws -> InspectionPlan {
        try JSONDecoder().decode(InspectionPlan.self, from: Data(text.utf8))
    }

    /// The plan, or every reason it is refused: an empty stratum, a ratio outside [0, 1], an inspector pool
    /// too small for the draw, candidates no stratum takes, and the like.
    public static func make(_ d: InspectionPlanDraft, candidates: [InspectionCandidate]) throws(InspectionPlanRefused) -> InspectionPlan {
        var defects = textDefects(d) + inspectorDefects(d)
        var strata: [Stratum] = []
        var counts: [String: Int] = [:]
        for c in candidates { counts[c.riskClass, default: 0] += 1 }
        if candidates.isEmpty { defects.append("no subject with a unified social credit code is in the plan's scope") }
        if d.strata.isEmpty { defects.append("the plan has no strata") }
        var seen = Set<String>()
        for s in d.strata {
            if !seen.insert(s.riskClass).inserted { defects.append("stratum \(s.riskClass) is listed twice") }
            if let defect = Ratio.defect(s.ratio, of: "stratum \(s.riskClass)") { defects.append(defect); continue }
            let n = counts[s.riskClass] ?? 0
            if n == 0 && !candidates.isEmpty {
                defects.append("stratum \(s.riskClass) (\(s.name)) is empty: no candidate in scope is of that risk class")
            }
            let bp = Ratio.basisPoints(s.ratio)
            strata.append(Stratum(riskClass: s.riskClass, name: s.name, ratioBP: bp, candidates: n, targets: Ratio.targets(basisPoints: bp, of: n)))
        }
        for (riskClass, n) in counts.sorted(by: { $0.key < $1.key }) where !seen.contains(riskClass) {
            defects.append("\(n) candidates are of risk class \(riskClass), for which the plan has no stratum")
        }
        let targets = strata.reduce(0) { $0 + $1.targets }
        defects += capacityDefects(d, targets: targets) + conflictDefects(d, candidates: candidates)
        guard defects.isEmpty else { throw InspectionPlanRefused(reasons: defects) }
        let sorted = InspectionDraw.sorted(candidates)
        return InspectionPlan(
            algorithm: algorithmName, id: d.id, departmentID: d.departmentID, title: d.title, matters: d.matters,
            kinds: d.kinds.map(\.rawValue).sorted(), regions: d.regions.sorted(), strata: strata,
            inspectors: d.inspectors.sorted { InspectionText.precedes($0.id, $1.id) }.map {
                Inspector(id: $0.id, name: $0.name, conflictSubjects: $0.conflictSubjects.sorted(by: InspectionText.precedes),
                          conflictRegions: $0.conflictRegions.sorted(by: InspectionText.precedes))
            },
            inspectorsPerTarget: d.inspectorsPerTarget, maxTargetsPerInspector: d.maxTargetsPerInspector,
            publicValueName: d.publicValueName, publicValueOn: d.publicValueOn, mappingVersion: d.mappingVersion,
            publishedOn: d.publishedOn, candidateCount: sorted.count, candidateFingerprint: InspectionDraw.fingerprint(sorted))
    }

    private static func textDefects(_ d: InspectionPlanDraft) -> [String] {
        var out: [String] = []
        let texts = [("title", d.title), ("public value name", d.publicValueName)] + d.matters.map { ("matter", $0) }
        for (what, text) in texts where text.trimmingCharacters(in: .whitespaces).isEmpty || InspectionText.hasControlCharacters(text) {
            out.append("the \(what) is empty or holds control characters")
        }
        if d.matters.isEmpty { out.append("the plan names no inspection matter") }
        if d.kinds.isEmpty { out.append("the scope names no subject kind") }
        if d.kinds.contains(.naturalPerson) { out.append("natural persons are not inspection targets; remove natural_person from the scope") }
        if d.regions.isEmpty { out.append("the scope names no region") }
        for r in d.regions where !InspectionText.isRegionCode(r) { out.append("region '\(r.prefix(12))' is not a 6-digit GB/T 2260 code") }
        if d.publicValueOn <= d.publishedOn {
            out.append("the public value must become known after the plan is published (\(d.publicValueOn) is not after \(d.publishedOn))")
        }
        return out
    }

    private static func inspectorDefects(_ d: InspectionPlanDraft) -> [String] {
        var out: [String] = []
        var ids = Set<String>()
        for i in d.inspectors {
            if !InspectionText.isCode(i.id) { out.append("inspector id '\(i.id.prefix(40))' must be 1–32 letters, digits, '_' or '-'") }
            if !ids.insert(i.id).inserted { out.append("inspector \(i.id) is listed twice") }
            if i.name.trimmingCharacters(in: .whitespaces).isEmpty || InspectionText.hasControlCharacters(i.name) {
                out.append("inspector \(i.id) has no name")
            }
            for r in i.conflictRegions where !InspectionText.isRegionCode(r) {
                out.append("inspector \(i.id): conflict region '\(r.prefix(12))' is not a 6-digit code")
            }
            for s in i.conflictSubjects + i.conflictRegions where InspectionText.hasControlCharacters(s) {
                out.append("inspector \(i.id): a conflict holds control characters")
            }
        }
        if d.inspectorsPerTarget < minimumInspectorsPerTarget {
            out.append("each target needs at least \(minimumInspectorsPerTarget) inspectors, not \(d.inspectorsPerTarget)")
        }
        if d.inspectorsPerTarget > maximumInspectorsPerTarget {
            out.append("each target takes at most \(maximumInspectorsPerTarget) inspectors, not \(d.inspectorsPerTarget)")
        }
        if d.maxTargetsPerInspector < 1 { out.append("the most targets per inspector must be at least 1") }
        if d.maxTargetsPerInspector > maximumTargetsPerInspector {
            out.append("the most targets per inspector can be at most \(maximumTargetsPerInspector), not \(d.maxTargetsPerInspector)")
        }
        return out
    }

    /// The pool must be able to staff every target the ratios draw.
    private static func capacityDefects(_ d: InspectionPlanDraft, targets: Int) -> [String] {
        // Saturating: out-of-range ratios are refused above, and must not trap the process on the way.
        let needed = saturating(targets, times: d.inspectorsPerTarget)
        let capacity = saturating(d.inspectors.count, times: max(d.maxTargetsPerInspector, 0))
        if d.inspectors.count < d.inspectorsPerTarget {
            return ["the inspector pool has \(d.inspectors.count) inspectors, fewer than the \(d.inspectorsPerTarget) each target needs"]
        }
        if capacity < needed {
            return ["the inspector pool is smaller than the draw: \(targets) targets × \(d.inspectorsPerTarget) inspectors need \(needed) assignments, "
                    + "\(d.inspectors.count) inspectors at most \(d.maxTargetsPerInspector) targets each give \(capacity)"]
        }
        return []
    }

    private static func saturating(_ a: Int, times b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : product
    }

    /// A candidate that too few inspectors may inspect could be drawn and then not be staffed: refuse now.
    private static func conflictDefects(_ d: InspectionPlanDraft, candidates: [InspectionCandidate]) -> [String] {
        guard d.inspectors.count >= d.inspectorsPerTarget, d.inspectors.contains(where: { !$0.conflictSubjects.isEmpty || !$0.conflictRegions.isEmpty })
        else { return [] }
        let short = candidates.filter { c in d.inspectors.count { !$0.conflicts(with: c) } < d.inspectorsPerTarget }
        guard let first = short.first else { return [] }
        return ["\(short.count) candidates (first \(first.subjectID)) have fewer than \(d.inspectorsPerTarget) inspectors without a conflict"]
    }
}

public struct InspectionPlanRefused: Error, Equatable, CustomStringConvertible {
    public let reasons: [String]
    public var description: String { reasons.joined(separator: "; ") }
}

/// The draw could not staff a target within the inspectors' caps (the greedy assignment is documented).
public struct InspectionDrawRefused: Error, Equatable, CustomStringConvertible {
    public let description: String
}

/// One drawn subject and the inspectors assigned to it.
public struct InspectionTarget: Sendable, Codable, Equatable {
    public var subjectID: String
    public var riskClass: String
    /// 1 for the lowest key of its stratum.
    public var rank: Int
    public var key: String
    public var inspectors: [String]

    public init(subjectID: String, riskClass: String, rank: Int, key: String, inspectors: [String]) {
        self.subjectID = subjectID
        self.riskClass = riskClass
        self.rank = rank
        self.key = key
        self.inspectors = inspectors
    }
}

public struct InspectionDrawResult: Sendable, Equatable {
    public var seed: String
    public var targets: [InspectionTarget]
}

/// The draw (docs/inspections.md): deterministic from the published plan, its frozen candidate list and the
/// public value, so that anyone holding them gets the same targets and inspectors.
public enum InspectionDraw {
    public static func sha256(_ text: String) -> String { SHA256.hash(data: Data(text.utf8)).hexEncoded }

    /// Candidates in the order everything is computed over: subject id, compared byte by byte.
    public static func sorted(_ candidates: [InspectionCandidate]) -> [InspectionCandidate] {
        candidates.sorted { InspectionText.precedes($0.subjectID, $1.subjectID) }
    }

    /// SHA-256 of one line `subject_id TAB risk_class TAB region_code LF` per candidate, in id order.
    public static func fingerprint(_ candidates: [InspectionCandidate]) -> String {
        sha256(sorted(candidates).map { "\($0.subjectID)\t\($0.riskClass)\t\($0.regionCode)\n" }.joined())
    }

    public static func seed(planSHA256: String, publicValue: String) -> String { sha256("\(planSHA256)|\(publicValue)") }

    public static func draw(_ plan: InspectionPlan, candidates: [InspectionCandidate], publicValue: String) throws(InspectionDrawRefused) -> InspectionDrawResult {
        let seed = seed(planSHA256: plan.sha256, publicValue: publicValue)
        let byClass = Dictionary(grouping: sorted(candidates), by: \.riskClass)
        var drawn: [(InspectionCandidate, Int, String)] = []
        for stratum in plan.strata {
            let members = byClass[stratum.riskClass] ?? []
            let ranked = members.map { ($0, sha256("\(seed)|\(stratum.riskClass)|\($0.subjectID)")) }
                .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : InspectionText.precedes($0.0.subjectID, $1.0.subjectID) }
            let k = Ratio.targets(basisPoints: stratum.ratioBP, of: members.count)
            drawn += ranked.prefix(k).enumerated().map { ($1.0, $0 + 1, $1.1) }
        }
        var load: [String: Int] = [:]
        var targets: [InspectionTarget] = []
        for (candidate, rank, key) in drawn {
            let team = try staff(candidate, plan: plan, seed: seed, load: &load)
            targets.append(InspectionTarget(subjectID: candidate.subjectID, riskClass: candidate.riskClass, rank: rank, key: key, inspectors: team))
        }
        return InspectionDrawResult(seed: seed, targets: targets)
    }

    /// The inspectors with the lowest keys for this target, skipping conflicts and inspectors at their cap.
    private static func staff(_ c: InspectionCandidate, plan: InspectionPlan, seed: String, load: inout [String: Int]) throws(InspectionDrawRefused) -> [String] {
        let ranked = plan.inspectors.map { ($0, sha256("\(seed)|inspector|\(c.subjectID)|\($0.id)")) }
            .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : InspectionText.precedes($0.0.id, $1.0.id) }
        var team: [String] = []
        for (inspector, _) in ranked where team.count < plan.inspectorsPerTarget {
            guard !inspector.conflicts(with: c), load[inspector.id, default: 0] < plan.maxTargetsPerInspector else { continue }
            team.append(inspector.id)
            load[inspector.id, default: 0] += 1
        }
        guard team.count == plan.inspectorsPerTarget else {
            throw InspectionDrawRefused(description: "target \(c.subjectID) cannot be staffed: only \(team.count) of \(plan.inspectorsPerTarget) inspectors are free of conflicts and under their cap of \(plan.maxTargetsPerInspector)")
        }
        return team
    }

    public enum Verdict: Sendable, Equatable {
        case match
        case mismatch([String])
    }

    /// Recomputes a published draw from the published inputs and names every difference.
    public static func verify(plan: InspectionPlan, storedSHA256: String, candidates: [InspectionCandidate], publicValue: String,
                              seed: String, targets: [InspectionTarget]) -> Verdict {
        var problems: [String] = []
        if plan.sha256 != storedSHA256 { problems.append("the plan's SHA-256 is \(plan.sha256), not the published \(storedSHA256)") }
        let fingerprint = fingerprint(candidates)
        if fingerprint != plan.candidateFingerprint || candidates.count != plan.candidateCount {
            problems.append("the candidate list (\(candidates.count), fingerprint \(fingerprint)) is not the one the plan published (\(plan.candidateCount), \(plan.candidateFingerprint))")
        }
        do {
            let again = try draw(plan, candidates: candidates, publicValue: publicValue)
            if again.seed != seed { problems.append("the seed is \(again.seed), not the published \(seed)") }
            problems += differences(expected: again.targets, published: targets)
        } catch {
            problems.append("the draw cannot be recomputed: \(error.description)")
        }
        return problems.isEmpty ? .match : .mismatch(problems)
    }

    private static func differences(expected: [InspectionTarget], published: [InspectionTarget]) -> [String] {
        let want = Dictionary(uniqueKeysWithValues: expected.map { ($0.subjectID, $0) })
        let have = Dictionary(published.map { ($0.subjectID, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [String] = []
        for t in expected where have[t.subjectID] == nil { out.append("\(t.subjectID) should have been drawn (\(t.riskClass), rank \(t.rank))") }
        for t in published where want[t.subjectID] == nil { out.append("\(t.subjectID) was published as drawn but the draw does not choose it") }
        for t in published {
            guard let w = want[t.subjectID] else { continue }
            if w.inspectors != t.inspectors {
                out.append("\(t.subjectID): inspectors \(t.inspectors.joined(separator: ",")) published, \(w.inspectors.joined(separator: ",")) drawn")
            }
            if w.rank != t.rank || w.riskClass != t.riskClass { out.append("\(t.subjectID): rank or risk class differs from the draw") }
        }
        return out
    }
}

/// JSON with keys sorted by their UTF-8 bytes, no whitespace and non-ASCII text as is: Python's
/// `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.
public indirect enum CanonicalJSON: Sendable, Equatable {
    case string(String), int(Int), array([CanonicalJSON]), object([String: CanonicalJSON])

    static func strings(_ values: [String]) -> CanonicalJSON { .array(values.map(CanonicalJSON.string)) }

    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    private func write(to out: inout String) {
        switch self {
        case .int(let n): out += String(n)
        case .string(let s): Self.quote(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, key) in members.keys.sorted(by: InspectionText.precedes).enumerated() {
                if i > 0 { out += "," }
                Self.quote(key, to: &out)
                out += ":"
                members[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    /// Python's escapes: quote, backslash, the five short forms, and `\u00xx` for other control characters.
    private static func quote(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// Small text rules shared by the plan's checks and the draw.
public enum InspectionText {
    /// Byte order of the UTF-8 text: what Python's sort of `str.encode()` gives, whatever the locale.
    public static func precedes(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    public static func isCode(_ s: String) -> Bool {
        (1...32).contains(s.count) && s.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-") }
    }

    public static func isRegionCode(_ s: String) -> Bool { s.count == 6 && s.allSatisfy { $0.isASCII && $0.isNumber } }

    public static func hasControlCharacters(_ s: String) -> Bool { s.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }

    /// A subject's region is within a region when it starts with that region's prefix (431000 → 4310).
    public static func region(_ code: String, isWithin ancestor: String) -> Bool { code.hasPrefix(Region.codePrefix(ancestor)) }
}

/// 一公开: a target's result becomes an `inspection_result` record. The fields are made here once, for the
/// service (through the exchange) and the demo alike.
public enum InspectionResultRecord {
    public static let recordType = "inspection_result"

    /// The results a department may enter: the catalogue's values for the `result` field.
    public static func outcomes(in catalog: Catalog) -> [String] {
        catalog.recordType(recordType)?.field("result")?.values ?? []
    }

    /// One record per plan and subject: a corrected result is a new version of the same record.
    public static func documentNumber(plan: String, subject: String) -> String { "\(plan)/\(subject)" }

    public static func fields(plan: InspectionPlan, subjectName: String, subjectCode: String, result: String, on date: CivilDate,
                              authority: String, authorityCode: String?, legalBasis: String) -> [String: String] {
        var fields = [
            "subject_name": subjectName, "subject_code": subjectCode,
            "document_no": documentNumber(plan: plan.id, subject: subjectCode), "plan_id": plan.id, "plan_title": plan.title,
            "matter": plan.matters.joined(separator: "；"), "result": result, "legal_basis": legalBasis,
            "decision_date": date.description, "authority": authority,
        ]
        if let authorityCode { fields["authority_code"] = authorityCode }
        return fields
    }
}
