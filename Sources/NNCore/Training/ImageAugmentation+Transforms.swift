/// How each augmentation moves pixels of one image `[H, W, C]`, with rows y = 0…H−1 counted
/// downwards and columns x = 0…W−1 to the right. Every channel moves alike. Each step reads
/// the image as the previous step left it.
extension ImageAugmentation {
    static func transform(
        _ image: UnsafeMutablePointer<Float>, height h: Int, width w: Int, channels c: Int,
        draw d: Draw, scratch: UnsafeMutablePointer<Float>
    ) {
        let size = h * w * c
        if d.flip {
            // Flip: out[y, x] = in[y, W − 1 − x]. Applying it twice gives the image back.
            scratch.update(from: image, count: size)
            for y in 0..<h {
                for x in 0..<w {
                    (image + (y * w + x) * c).update(from: scratch + (y * w + w - 1 - x) * c, count: c)
                }
            }
        }
        if d.isAffine {
            scratch.update(from: image, count: size)
            affine(from: scratch, to: image, height: h, width: w, channels: c, draw: d)
        }
        if d.shiftY != 0 || d.shiftX != 0 {
            // Shift (the `crop` augmentation: pad by `crop` zeros, cut a random H×W window):
            // out[y, x] = in[y − dy, x − dx], and 0 where that falls outside; content moves
            // down by dy and right by dx.
            scratch.update(from: image, count: size)
            for y in 0..<h {
                for x in 0..<w {
                    let sy = y - d.shiftY, sx = x - d.shiftX
                    let target = image + (y * w + x) * c
                    if sy >= 0, sy < h, sx >= 0, sx < w {
                        target.update(from: scratch + (sy * w + sx) * c, count: c)
                    } else {
                        target.update(repeating: 0, count: c)
                    }
                }
            }
        }
        if d.brightness != 1 {
            // Brightness: every value is multiplied by the drawn factor.
            for i in 0..<size { image[i] *= d.brightness }
        }
    }

    /// Rotation, shear and zoom about the centre (cy, cx) = ((H − 1)/2, (W − 1)/2). For the
    /// output pixel at offset (u, v) = (x − cx, y − cy) from the centre, the source offset is
    ///   un-rotate: u₁ = cos θ·u + sin θ·v,  v₁ = −sin θ·u + cos θ·v
    ///   un-shear:  u₂ = u₁ − s·v₁,         v₂ = v₁
    ///   un-zoom:   u₃ = u₂ / z,            v₃ = v₂ / z
    /// and out[y, x] is the bilinear interpolation of the input at (cy + v₃, cx + u₃), with
    /// pixels outside the image counting as 0. So, on screen, a positive θ turns the content
    /// clockwise (a pixel right of the centre moves below it), a positive shear moves rows
    /// below the centre to the right by s per row, and z > 1 enlarges the content.
    private static func affine(
        from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>,
        height h: Int, width w: Int, channels c: Int, draw d: Draw
    ) {
        let theta = Double(d.degrees) * Double.pi / 180
        let cosine = Float(_cos(theta)), sine = Float(_sin(theta))
        let cy = Float(h - 1) / 2, cx = Float(w - 1) / 2
        for y in 0..<h {
            for x in 0..<w {
                let u = Float(x) - cx, v = Float(y) - cy
                let u1 = cosine * u + sine * v, v1 = -sine * u + cosine * v
                let u2 = u1 - d.shear * v1
                let sx = cx + u2 / d.zoom, sy = cy + v1 / d.zoom
                let x0 = Int((sx).rounded(.down)), y0 = Int((sy).rounded(.down))
                let fx = sx - Float(x0), fy = sy - Float(y0)
                let out = target + (y * w + x) * c
                out.update(repeating: 0, count: c)
                for dy in 0...1 {
                    let iy = y0 + dy, wy = dy == 0 ? 1 - fy : fy
                    guard wy != 0, iy >= 0, iy < h else { continue }
                    for dx in 0...1 {
                        let ix = x0 + dx, wx = dx == 0 ? 1 - fx : fx
                        guard wx != 0, ix >= 0, ix < w else { continue }
                        let weight = wy * wx
                        let pixel = source + (iy * w + ix) * c
                        for ch in 0..<c { out[ch] += weight * pixel[ch] }
                    }
                }
            }
        }
    }
}
