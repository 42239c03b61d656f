/// The blocked loop of `Gemm` as one team member runs it.
///
/// For each block of `nc` columns and `kc` depths the team packs B once, and for each group
/// of `mg` rows it packs A once, each member packing its share of the panels into buffers
/// all members read; after a rendezvous each member computes its share of the group's tiles.
/// Two copies of each buffer let the next packing start while a slower member still reads
/// the last one, so one rendezvous per group suffices.
///
/// Who packs or computes a tile never changes how an element of C is summed: always over
/// the depth blocks in order, each block summed by the micro-kernel from depth 0.
struct GemmBlocks {
    let form: GemmForm
    let m: Int, n: Int, k: Int
    /// 2 when several threads may share the buffers, else 1.
    let copies: Int
    let aSize: Int, bSize: Int

    init(form: GemmForm, m: Int, n: Int, k: Int, copies: Int) {
        self.form = form
        self.m = m
        self.n = n
        self.k = k
        self.copies = copies
        let depths = min(k, Gemm.kc)
        aSize = Self.roundUp(min(m, Gemm.mg), Gemm.mr) * depths
        bSize = Self.roundUp(min(n, Gemm.nc), Gemm.nr) * depths
    }

    var scratchCount: Int { copies * (aSize + bSize) }

    func run(
        team: Parallel.Team, kernels: TileKernels, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, accumulate: Bool, scratch: UnsafeMutablePointer<Float>
    ) {
        let mr = Gemm.mr, nr = Gemm.nr
        var bStep = 0, aStep = 0
        var columnStart = 0
        while columnStart < n {
            let columns = columnStart..<min(n, columnStart + Gemm.nc)
            let columnPanels = (columns.count + nr - 1) / nr
            var depth = 0
            while depth < k {
                let depths = depth..<min(k, depth + Gemm.kc)
                let depthCount = depths.count
                let packedB = scratch + (bStep % copies) * bSize
                bStep += 1
                let myB = Self.share(columnPanels, team)
                if !myB.isEmpty {
                    GemmPacking.packB(
                        form, b: b, n: n, k: k, columns: Self.span(myB, of: columns, by: nr),
                        depths: depths, into: packedB + myB.lowerBound * nr * depthCount)
                }
                var rowStart = 0
                while rowStart < m {
                    let rows = rowStart..<min(m, rowStart + Gemm.mg)
                    let rowPanels = (rows.count + mr - 1) / mr
                    let packedA = scratch + copies * bSize + (aStep % copies) * aSize
                    aStep += 1
                    let myA = Self.share(rowPanels, team)
                    if !myA.isEmpty {
                        GemmPacking.packA(
                            form, a: a, m: m, k: k, rows: Self.span(myA, of: rows, by: mr),
                            depths: depths, into: packedA + myA.lowerBound * mr * depthCount)
                    }
                    team.sync()
                    computeTiles(
                        team: team, kernels: kernels, rows: rows, columns: columns, depths: depths,
                        packedA: packedA, packedB: packedB, c: c, add: accumulate || depth > 0)
                    rowStart += Gemm.mg
                }
                depth += Gemm.kc
            }
            columnStart += Gemm.nc
        }
    }

    /// The member's share of the tiles of one packed group and block. A tile is `mr` rows by
    /// `kernels.panelsPerTile` B panels.
    private func computeTiles(
        team: Parallel.Team, kernels: TileKernels, rows: Range<Int>, columns: Range<Int>, depths: Range<Int>,
        packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>,
        c: UnsafeMutablePointer<Float>, add: Bool
    ) {
        let mr = Gemm.mr, nr = Gemm.nr, depthCount = depths.count
        let rowPanels = (rows.count + mr - 1) / mr
        let columnPanels = (columns.count + nr - 1) / nr
        let step = kernels.panelsPerTile, rowStep = kernels.rowPanelsPerTile
        let columnTiles = (columnPanels + step - 1) / step
        let rowTiles = (rowPanels + rowStep - 1) / rowStep
        // Split the tiles along whichever side leaves the busiest member less work; on a tie by
        // columns, so that each member reads only its part of B.
        var tileRows = 0..<rowTiles, tileColumns = 0..<columnTiles
        let byRows = (rowTiles + team.size - 1) / team.size * columnTiles
        let byColumns = (columnTiles + team.size - 1) / team.size * rowTiles
        if byColumns <= byRows {
            tileColumns = Self.share(columnTiles, team)
        } else {
            tileRows = Self.share(rowTiles, team)
        }
        // Along a row of tiles: the A panels stay in L1 and C is written along its rows, which
        // the prefetchers follow (down a column, C rows 4 KiB apart miss).
        for rowTile in tileRows {
            let rowPanel = rowTile * rowStep
            let row = rows.lowerBound + rowPanel * mr
            let aPanel = UnsafePointer(packedA + rowPanel * mr * depthCount)
            let tileHeight = min(rowStep * mr, rows.upperBound - row)
            for tile in tileColumns {
                let panel = tile * step
                let column = columns.lowerBound + panel * nr
                kernels.packed(
                    kc: depthCount, a: aPanel, b: packedB + panel * nr * depthCount,
                    panels: min(step, columnPanels - panel), c: c + row * n + column, ldc: n, rows: tileHeight,
                    cols: min(step * nr, columns.upperBound - column), accumulate: add)
            }
        }
    }

    /// The member's contiguous share of `count` panels.
    private static func share(_ count: Int, _ team: Parallel.Team) -> Range<Int> {
        (count * team.rank / team.size)..<(count * (team.rank + 1) / team.size)
    }

    /// The rows or columns of `range` that the panels `panels` (of `size` each) cover.
    private static func span(_ panels: Range<Int>, of range: Range<Int>, by size: Int) -> Range<Int> {
        (range.lowerBound + panels.lowerBound * size)..<min(
            range.upperBound, range.lowerBound + panels.upperBound * size)
    }

    private static func roundUp(_ value: Int, _ multiple: Int) -> Int {
        (value + multiple - 1) / multiple * multiple
    }
}
