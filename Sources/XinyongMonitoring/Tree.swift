/// An edition's indicator tree flattened into arrays, so that scoring thousands of cities thousands of
/// times (Monte Carlo, Sobol) walks indices instead of nested values.
public struct IndicatorTree: Sendable {
    public struct Node: Sendable {
        public let indicator: Indicator
        /// 1 for a level-1 indicator.
        public let level: Int
        public let parent: Int?
        public let children: [Int]
        /// Position among the edition's leaves, for a leaf.
        public let leaf: Int?
    }

    public let nodes: [Node]
    /// Node indices of the level-1 indicators.
    public let roots: [Int]
    /// Node index of each leaf, in the edition's leaf order.
    public let leafNodes: [Int]
    /// Inner nodes, deepest first, so that children are always combined before their parent.
    public let innerNodesBottomUp: [Int]
    public let aggregationByLevel: [Aggregation]
    public let totalPoints: Double
    /// Children and level of each entry of `innerNodesBottomUp`, flat, for the hot loop.
    private let innerChildren: [[Int]]
    private let innerLevels: [Int]

    public init(_ edition: Edition) {
        var nodes: [Node] = []
        var leafNodes: [Int] = []
        func add(_ indicator: Indicator, level: Int, parent: Int?) -> Int {
            let index = nodes.count
            nodes.append(Node(indicator: indicator, level: level, parent: parent, children: [], leaf: indicator.isLeaf ? leafNodes.count : nil))
            if indicator.isLeaf { leafNodes.append(index) }
            let children = indicator.children.map { add($0, level: level + 1, parent: index) }
            let n = nodes[index]
            nodes[index] = Node(indicator: n.indicator, level: n.level, parent: n.parent, children: children, leaf: n.leaf)
            return index
        }
        roots = edition.indicators.map { add($0, level: 1, parent: nil) }
        self.nodes = nodes
        self.leafNodes = leafNodes
        let inner = nodes.indices.filter { nodes[$0].leaf == nil }.sorted { nodes[$0].level > nodes[$1].level }
        innerNodesBottomUp = inner
        innerChildren = inner.map { nodes[$0].children }
        innerLevels = inner.map { nodes[$0].level }
        let deepest = nodes.map(\.level).max() ?? 1
        aggregationByLevel = (0..<deepest).map { edition.aggregation(atDepth: $0) }
        totalPoints = edition.totalPoints
    }

    public var basePoints: [Double] { nodes.map(\.indicator.points) }
    public func index(of code: String) -> Int? { nodes.firstIndex { $0.indicator.code == code } }

    /// Shares of every node from the leaves' shares: `shares` holds the leaves' shares at their node
    /// indices on entry and every node's share on return. Returns the share of the whole index.
    /// `aggregation[d]` combines the children of a node at level d (0 = the total).
    @inline(__always)
    public func evaluate(_ shares: inout [Double], weights: [Double], aggregation: [Aggregation]) -> Double {
        for (k, node) in innerNodesBottomUp.enumerated() {
            shares[node] = combine(innerChildren[k], shares: shares, weights: weights, aggregation[min(innerLevels[k], aggregation.count - 1)])
        }
        return combine(roots, shares: shares, weights: weights, aggregation[0])
    }

    /// The same, recomputing only the inner nodes above `level` (level < `level`) and the total: the
    /// shares of the nodes at `level` and below are taken as they are in `shares`.
    @inline(__always)
    public func evaluate(_ shares: inout [Double], weights: [Double], aggregation: [Aggregation], above level: Int) -> Double {
        for (k, node) in innerNodesBottomUp.enumerated() where innerLevels[k] < level {
            shares[node] = combine(innerChildren[k], shares: shares, weights: weights, aggregation[min(innerLevels[k], aggregation.count - 1)])
        }
        return combine(roots, shares: shares, weights: weights, aggregation[0])
    }

    @inline(__always)
    private func combine(_ children: [Int], shares: [Double], weights: [Double], _ method: Aggregation) -> Double {
        var total = 0.0, acc = 0.0
        switch method {
        case .arithmetic:
            for c in children {
                acc += weights[c] * shares[c]
                total += weights[c]
            }
            return total > 0 ? acc / total : 0
        case .geometric:
            for c in children {
                acc += weights[c] * log(max(shares[c], Aggregate.geometricFloor))
                total += weights[c]
            }
            return total > 0 ? exp(acc / total) : 0
        }
    }
}

import Foundation
