/// A binary min-heap of timer entries. Entries are never removed early: a handler that no
/// longer needs a timer ignores the call (connections compare the deadline with the one they
/// armed last), which keeps rescheduling O(log n). Handlers are held weakly, so a closed
/// connection is freed at once rather than when its last deadline passes.
struct DeadlineHeap {
    private struct Entry {
        let deadline: UInt64
        weak var handler: EventLoopHandler?
    }

    private var items: [Entry] = []

    var nextDeadline: UInt64? { items.first?.deadline }

    mutating func push(_ deadline: UInt64, _ handler: EventLoopHandler) {
        items.append(Entry(deadline: deadline, handler: handler))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].deadline < items[parent].deadline else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    /// The earliest entry due at `now` (its handler nil when it is gone), or nil.
    mutating func popDue(now: UInt64) -> (UInt64, EventLoopHandler?)? {
        guard let first = items.first, first.deadline <= now else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < items.count && items[left].deadline < items[smallest].deadline { smallest = left }
                if right < items.count && items[right].deadline < items[smallest].deadline { smallest = right }
                if smallest == parent { break }
                items.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return (first.deadline, first.handler)
    }
}
