/**
 * Maps config paths back to line:column in the YAML text, so every message can say where the
 * problem is. Built on the `yaml` CST ranges and a LineCounter.
 */
import { isMap, isScalar, isSeq, isPair, Scalar, type Document, type LineCounter, type Node, type Pair } from 'yaml'
import type { ConfigPath, Segment } from './paths.js'

export interface Position {
  line: number
  col: number
}

export class SourceMap {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly text: string,
  ) {}

  /** 1-based line and column of a character offset. */
  at(offset: number): Position {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)))
    return { line, col }
  }

  /**
   * Where `path` is: its value (or its key with `at: 'key'`), or the nearest ancestor that
   * exists. `offset` points inside a string value (a JSONata error position, a reference).
   */
  locate(path: ConfigPath, at: 'key' | 'value' = 'value', offset?: number): Position {
    let node: unknown = this.doc.contents
    let lastPair: Pair | undefined
    let found = true
    for (const seg of path) {
      const next = child(node, seg)
      if (!next) {
        found = false
        break
      }
      lastPair = next.pair
      node = next.node
    }
    if (found && at === 'key' && lastPair && isNodeWithRange(lastPair.key)) return this.at(lastPair.key.range[0])
    if (!isNodeWithRange(node)) return { line: 1, col: 1 }
    if (found && offset !== undefined && isScalar(node)) return this.at(this.offsetInScalar(node, offset))
    return this.at(node.range[0])
  }

  /** The deepest path whose key or value contains the character `offset` (for YAML errors). */
  pathAt(offset: number): Segment[] {
    const path: Segment[] = []
    let node: unknown = this.doc.contents
    for (;;) {
      let next: unknown
      if (isMap(node)) {
        for (const pair of node.items) {
          const key = isScalar(pair.key) ? pair.key.value : pair.key
          const keySeg = typeof key === 'number' ? String(key) : typeof key === 'string' ? key : undefined
          if (keySeg === undefined) continue
          if (isNodeWithRange(pair.key) && contains(pair.key.range, offset)) return [...path, keySeg]
          if (isNodeWithRange(pair.value) && contains(pair.value.range, offset)) {
            path.push(keySeg)
            next = pair.value
            break
          }
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => {
          if (next === undefined && isNodeWithRange(item) && contains(item.range, offset)) {
            path.push(i)
            next = item
          }
        })
      }
      if (next === undefined) return path
      node = next
    }
  }

  /** Source offset of character `index` of a scalar's value, where the mapping is knowable. */
  private offsetInScalar(node: Scalar, index: number): number {
    const [start, end] = node.range as [number, number, number]
    const value = typeof node.value === 'string' ? node.value : String(node.value)
    const i = Math.max(0, Math.min(index, Math.max(value.length - 1, 0)))
    const raw = this.text.slice(start, end)
    if (node.type === Scalar.PLAIN && raw === value) return start + i
    if ((node.type === Scalar.QUOTE_SINGLE || node.type === Scalar.QUOTE_DOUBLE) && raw.slice(1, -1) === value) return start + 1 + i
    if (node.type === Scalar.BLOCK_LITERAL) {
      // Content starts on the line after the `|` header; each value line is a source line minus
      // the block's indentation.
      // The block's indentation is that of its first non-empty line.
      const header = this.lines.linePos(start).line
      const before = value.slice(0, i).split('\n')
      const lineStart = this.lines.lineStarts[header + before.length - 1]
      const firstLine = value.split('\n').findIndex((l) => l.trim() !== '')
      const firstStart = this.lines.lineStarts[header + Math.max(firstLine, 0)]
      if (lineStart === undefined || firstStart === undefined) return start
      const indent = (/^ */.exec(this.text.slice(firstStart))?.[0].length ?? 0) - (/^ */.exec(value.split('\n')[Math.max(firstLine, 0)] ?? '')?.[0].length ?? 0)
      return lineStart + indent + (before[before.length - 1]?.length ?? 0)
    }
    return start
  }
}

function child(node: unknown, seg: Segment): { node: unknown; pair?: Pair } | undefined {
  if (isMap(node)) {
    const pair = node.items.find((p) => isPair(p) && scalarKey(p.key) === String(seg))
    return pair ? { node: pair.value, pair } : undefined
  }
  if (isSeq(node) && typeof seg === 'number') {
    const item = node.items[seg]
    return item === undefined ? undefined : { node: item }
  }
  return undefined
}

function scalarKey(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value)
  return typeof key === 'string' ? key : undefined
}

function isNodeWithRange(node: unknown): node is Node & { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && Array.isArray((node as { range?: unknown }).range)
}

function contains(range: [number, number, number], offset: number): boolean {
  return offset >= range[0] && offset < Math.max(range[2], range[0] + 1)
}
