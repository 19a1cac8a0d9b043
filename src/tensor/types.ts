/**
 * Shapes in the type system. Where dimensions are literal (`zeros([2, 3])` is a `Tensor<readonly [2, 3]>`)
 * the compiler checks broadcasting and matmul's inner dimensions and computes result shapes; where a
 * dimension is `number` (data-dependent) these types fall back to `number` and the run-time checks
 * (always present) decide. A mismatch shows up as an argument that is not assignable to
 * `{ "shapes do not broadcast": [A, B] }` or `{ "matmul inner dimensions differ": [K1, K2] }`, naming
 * the two shapes or dims rather than a page of type algebra.
 */
import type { Shape } from "./shape.js";
import type { Tensor } from "./tensor.js";

type IsLiteral<N extends number> = number extends N ? false : true;
type IsTuple<S extends readonly unknown[]> = number extends S["length"] ? false : true;

/** One broadcast dim: equal, or one of them 1; `never` for two literal dims that cannot broadcast. */
type BroadcastDim<A extends number, B extends number> = A extends 1
  ? B
  : B extends 1
    ? A
    : IsLiteral<A> extends true
      ? IsLiteral<B> extends true
        ? A extends B
          ? A
          : never
        : number
      : number;

/** NumPy broadcasting of two shapes, right-aligned. */
export type Broadcast<A extends Shape, B extends Shape> =
  IsTuple<A> extends false
    ? Shape
    : IsTuple<B> extends false
      ? Shape
      : A extends readonly []
        ? B
        : B extends readonly []
          ? A
          : A extends readonly [...infer IA extends number[], infer LA extends number]
            ? B extends readonly [...infer IB extends number[], infer LB extends number]
              ? readonly [...Broadcast<IA, IB>, BroadcastDim<LA, LB>]
              : Shape
            : Shape;

type HasNever<T extends Shape> = T extends readonly [infer H, ...infer R extends number[]] ? ([H] extends [never] ? true : HasNever<R>) : false;

/** The shape a tensor-or-number operand stands for (a number is a scalar). */
export type ShapeOf<X> = X extends Tensor<infer S> ? S : readonly [];

/** `unknown` when X and Y broadcast (or cannot be known), else an error type naming both shapes. */
export type BroadcastCheck<X, Y> = HasNever<Broadcast<ShapeOf<X>, ShapeOf<Y>>> extends true ? { readonly "shapes do not broadcast": readonly [ShapeOf<X>, ShapeOf<Y>] } : unknown;

/** The result shape of a broadcasting binary op on X and Y. */
export type BinaryResult<X, Y> = Broadcast<ShapeOf<X>, ShapeOf<Y>>;

type InnerCheck<K1 extends number, K2 extends number> =
  IsLiteral<K1> extends true ? (IsLiteral<K2> extends true ? (K1 extends K2 ? unknown : { readonly "matmul inner dimensions differ": readonly [K1, K2] }) : unknown) : unknown;

/** The contracted dims of matmul(A, B) (NumPy rules: 1-D operands are a row / a column). */
type Contracted<A extends Shape, B extends Shape> = [
  A extends readonly [...number[], infer K extends number] ? K : number,
  B extends readonly [infer K extends number] ? K : B extends readonly [...number[], infer K extends number, number] ? K : number,
];

export type MatMulCheck<A extends Shape, B extends Shape> =
  IsTuple<A> extends false ? unknown : IsTuple<B> extends false ? unknown : InnerCheck<Contracted<A, B>[0], Contracted<A, B>[1]>;

/** matmul's result shape: batch dims broadcast, then [M, N]; 1-D operands lose their added axis. */
export type MatMul<A extends Shape, B extends Shape> =
  IsTuple<A> extends false
    ? Shape
    : IsTuple<B> extends false
      ? Shape
      : A extends readonly [number]
        ? B extends readonly [number]
          ? readonly []
          : B extends readonly [...infer BB extends number[], number, infer N extends number]
            ? readonly [...BB, N]
            : Shape
        : B extends readonly [number]
          ? A extends readonly [...infer BA extends number[], infer M extends number, number]
            ? readonly [...BA, M]
            : Shape
          : A extends readonly [...infer BA extends number[], infer M extends number, number]
            ? B extends readonly [...infer BB extends number[], number, infer N extends number]
              ? readonly [...Broadcast<BA, BB>, M, N]
              : Shape
            : Shape;

/** A reshape target with −1 entries widened to `number`. */
export type Reshaped<T extends readonly number[]> = { readonly [K in keyof T]: T[K] extends -1 ? number : T[K] };

/** The default transpose: the last two dims swapped. */
export type Transposed<S extends Shape> = S extends readonly [...infer R extends number[], infer A extends number, infer B extends number] ? readonly [...R, B, A] : S;

// ── Axes ───────────────────────────────────────────────────────────────────────────────────────────

/** The index in S of a literal axis (negative counts from the end); never when out of range or not a literal. */
type AxisIndex<S extends readonly unknown[], A extends number, I extends unknown[] = []> = S extends readonly [unknown, ...infer R]
  ? `${A}` extends `${I["length"]}` | `-${S["length"]}`
    ? I["length"]
    : AxisIndex<R, A, [...I, unknown]>
  : never;

/** `[indices]` of a list of literal axes, or "invalid" when one is not a literal in range or repeats. */
type AxisSet<S extends readonly unknown[], Axes extends readonly number[], Seen = never> = Axes extends readonly [infer A extends number, ...infer R extends readonly number[]]
  ? [AxisIndex<S, A>] extends [never]
    ? "invalid"
    : [AxisIndex<S, A>] extends [Seen]
      ? "invalid"
      : AxisSet<S, R, Seen | AxisIndex<S, A>>
  : IsTuple<Axes> extends true
    ? [Seen]
    : "invalid";

/** T without the elements at the indices in the union U. */
type DropAt<T extends readonly unknown[], U, I extends unknown[] = []> = T extends readonly [infer H, ...infer R]
  ? I["length"] extends U
    ? DropAt<R, U, [...I, unknown]>
    : [H, ...DropAt<R, U, [...I, unknown]>]
  : [];

/** T with V inserted before index I (I = T's length appends). */
type InsertAt<T extends readonly unknown[], I extends number, V, C extends unknown[] = []> = C["length"] extends I
  ? [V, ...T]
  : T extends readonly [infer H, ...infer R]
    ? [H, ...InsertAt<R, I, V, [...C, unknown]>]
    : [];

/**
 * A reduction's result shape: over everything (`Axis` undefined) → `[]`, or all 1s with keepDims;
 * over literal axes (one, or a tuple, negative counting from the end) of a literal shape → those axes
 * removed, or 1 with keepDims. Axes that are not literals, out of range or repeated (the run-time
 * check throws) give `Shape`, or with keepDims the rank with `number` dims; so does a `boolean` keepDims.
 */
export type Reduced<S extends Shape, Axis, Keep> =
  IsTuple<S> extends false
    ? Shape
    : ([Axis] extends [undefined] ? [Positions<S>[number]] : AxisSet<S, Axis extends number ? [Axis] : Axis extends readonly number[] ? Axis : []>) extends [infer U]
      ? [Keep] extends [true]
        ? { readonly [K in keyof S]: K extends `${U & number}` ? 1 : S[K] }
        : [Keep] extends [false]
          ? Readonly<DropAt<S, U>>
          : Shape
      : [Keep] extends [true]
        ? { readonly [K in keyof S]: number }
        : Shape;

/** [0, 1, …, rank − 1]. */
type Positions<S extends readonly unknown[]> = { [K in keyof S]: K extends `${infer I extends number}` ? I : never };

// ── Decimal arithmetic on literal dims ─────────────────────────────────────────────────────────────
//
// Element counts (reshape), summed axes (concat) and window counts (slice, conv2d, pools) are computed
// on little-endian decimal digits (224 → [4, 2, 2]) with one-digit tables, so the cost grows with the
// number of digits, not the value: 3·224·224 is as cheap as 2·3, and no tuple grows past 89 elements
// (counting with tuple lengths would need a tuple as long as the product and hits the compiler's depth
// limits around 1000). A dim that is `number`, negative or fractional has no digits (`never`), and what
// is built on it falls back to `number` or to no check.

type Digit = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
/** Digits, least significant first, no trailing (leading) zeros: 0 is []. */
type Dec = Digit[];

type Tup<N extends number, T extends unknown[] = []> = T["length"] extends N ? T : Tup<N, [...T, unknown]>;
type Times<A extends number, B extends number, T extends unknown[] = [], I extends unknown[] = []> = I["length"] extends B ? T : Times<A, B, [...T, ...Tup<A>], [...I, unknown]>;
/** [low digit, carry] of a number below 100. */
type Split<N> = `${N & number}` extends `${infer C extends Digit}${infer D extends Digit}` ? [D, C] : [N & Digit, 0];
type AddDigit<A extends Digit, B extends Digit, C extends Digit> = Split<[...Tup<A>, ...Tup<B>, ...Tup<C>]["length"]>;
type MulDigit<A extends Digit, B extends Digit, C extends Digit> = Split<[...Times<A, B>, ...Tup<C>]["length"]>;
/** [A − B − C mod 10, borrow]. */
type SubDigit<A extends Digit, B extends Digit, C extends Digit> =
  Tup<A> extends [...Tup<B>, ...Tup<C>, ...infer R] ? [R["length"], 0] : [...Tup<10>, ...Tup<A>] extends [...Tup<B>, ...Tup<C>, ...infer R] ? [R["length"], 1] : never;

type Head<D extends Dec> = D extends [infer X extends Digit, ...Dec] ? X : 0;
type Tail<D extends Dec> = D extends [Digit, ...infer R extends Dec] ? R : [];
type Trim<D extends Dec> = D extends [...infer R extends Dec, 0] ? Trim<R> : D;

type AddRaw<A extends Dec, B extends Dec, C extends Digit = 0> = [A, B, C] extends [[], [], 0]
  ? []
  : AddDigit<Head<A>, Head<B>, C> extends [infer D extends Digit, infer C2 extends Digit]
    ? [D, ...AddRaw<Tail<A>, Tail<B>, C2>]
    : never;
type Add<A extends Dec, B extends Dec> = AddRaw<A, B> extends infer R extends Dec ? R : never;
type Scale<A extends Dec, B extends Digit, C extends Digit = 0> = A extends [infer X extends Digit, ...infer R extends Dec]
  ? MulDigit<X, B, C> extends [infer D extends Digit, infer C2 extends Digit]
    ? [D, ...Scale<R, B, C2>]
    : never
  : C extends 0
    ? []
    : [C];
type MulRaw<A extends Dec, B extends Dec> = B extends [infer X extends Digit, ...infer R extends Dec]
  ? MulRaw<A, R> extends infer P extends Dec
    ? Add<Scale<A, X>, [0, ...P]>
    : never
  : [];
type Mul<A extends Dec, B extends Dec> = MulRaw<A, B> extends infer P extends Dec ? Trim<P> : never;
type SubRaw<A extends Dec, B extends Dec, C extends Digit = 0> = A extends [infer X extends Digit, ...infer R extends Dec]
  ? SubDigit<X, Head<B>, C> extends [infer D extends Digit, infer C2 extends Digit]
    ? [D, ...SubRaw<R, Tail<B>, C2>]
    : never
  : [B, C] extends [[], 0]
    ? []
    : never;
/** A − B; never when B > A. */
type Sub<A extends Dec, B extends Dec> = Trim<SubRaw<A, B>>;
type Prev = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
/** The largest digit Q with B·Q ≤ R. */
type QuotDigit<R extends Dec, B extends Dec, Q extends Digit = 9> = [Sub<R, Trim<Scale<B, Q>>>] extends [never] ? QuotDigit<R, B, Prev[Q]> : Q;
/** ⌊A / B⌋ (B > 0) by long division, most significant digit first. */
type Div<A extends Dec, B extends Dec, R extends Dec = [], Q extends Dec = []> = A extends [...infer Rest extends Dec, infer X extends Digit]
  ? Trim<[X, ...R]> extends infer R2 extends Dec
    ? QuotDigit<R2, B> extends infer D extends Digit
      ? Div<Rest, B, Sub<R2, Trim<Scale<B, D>>>, [D, ...Q]>
      : never
    : never
  : Trim<Q>;

type ParseDec<S extends string, D extends Dec = []> = S extends `${infer X extends Digit}${infer R}` ? ParseDec<R, [X, ...D]> : S extends "" ? D : never;
/** The digits of a non-negative integer literal; never for `number`, negatives, fractions, 1e21. */
type ToDec<N extends number> = number extends N ? never : Trim<ParseDec<`${N}`>>;
/** The number the digits stand for (`number` past 2⁵³, where the literal would not round-trip). */
type FromDec<D extends Dec, S extends string = ""> = D extends [infer X extends Digit, ...infer R extends Dec]
  ? FromDec<R, `${X}${S}`>
  : S extends ""
    ? 0
    : S extends `${infer N extends number}`
      ? N
      : number;
type AnyNever<T extends readonly unknown[]> = T extends readonly [infer H, ...infer R] ? ([H] extends [never] ? true : AnyNever<R>) : false;

/** The element count of a shape as digits; never unless every dim is a literal. */
type Count<S extends readonly number[]> = S extends readonly [infer H extends number, ...infer R extends number[]]
  ? [ToDec<H>] extends [never]
    ? never
    : Count<R> extends infer C extends Dec
      ? [C] extends [never]
        ? never
        : Mul<ToDec<H>, C>
      : never
  : S extends readonly []
    ? [1]
    : never;

// ── Reshape, squeeze, unsqueeze, slice ─────────────────────────────────────────────────────────────

/**
 * `unknown` when a reshape of S to T keeps the element count or cannot be known at compile time (a
 * `number` dim, or −1 in T); otherwise an error type naming both shapes.
 */
export type ReshapeCheck<S extends Shape, T extends readonly number[]> = [Count<S>] extends [never]
  ? unknown
  : [Count<T>] extends [never]
    ? unknown
    : Count<S> extends Count<T>
      ? unknown
      : { readonly "reshape changes the element count": readonly [S, T] };

type DropOnes<S extends readonly number[]> = S extends readonly [infer H extends number, ...infer R extends number[]] ? (H extends 1 ? DropOnes<R> : [H, ...DropOnes<R>]) : [];

/** squeeze's result: the size-1 axis `A` removed, or every size-1 axis (which needs every dim literal). */
export type Squeezed<S extends Shape, A> =
  IsTuple<S> extends false
    ? Shape
    : [A] extends [undefined]
      ? HasNumberDim<S> extends true
        ? Shape
        : Readonly<DropOnes<S>>
      : [AxisIndex<S, A & number>] extends [never]
        ? Shape
        : Readonly<DropAt<S, AxisIndex<S, A & number>>>;

type HasNumberDim<S extends readonly number[]> = S extends readonly [infer H extends number, ...infer R extends number[]]
  ? IsLiteral<H> extends true
    ? HasNumberDim<R>
    : true
  : false;

/** `unknown` unless squeeze's literal axis has a literal size other than 1: then an error naming the shape and the axis. */
export type SqueezeCheck<S extends Shape, A> = [AxisIndex<S, A & number>] extends [never]
  ? unknown
  : S[AxisIndex<S, A & number>] extends infer D extends number
    ? IsLiteral<D> extends true
      ? D extends 1
        ? unknown
        : { readonly "squeeze needs an axis of size 1": readonly [S, A] }
      : unknown
    : unknown;

/** unsqueeze's result: a 1 inserted at the literal axis A (in [−rank−1, rank]). */
export type Unsqueezed<S extends Shape, A extends number> =
  IsTuple<S> extends false ? Shape : [AxisIndex<[...S, 0], A>] extends [never] ? Shape : Readonly<InsertAt<S, AxisIndex<[...S, 0], A>, 1>>;

/** A slice bound on an axis of D elements: a literal (negative from the end) clipped into [0, D]; never if not literal. */
type Bound<D extends Dec, V, Default extends Dec> = [V] extends [undefined | null]
  ? Default
  : V extends number
    ? `${V}` extends `-${infer K extends number}`
      ? [ToDec<K>] extends [never]
        ? never
        : Sub<D, ToDec<K>> extends infer B extends Dec
          ? [B] extends [never]
            ? []
            : B
          : never
      : [ToDec<V>] extends [never]
        ? never
        : [Sub<D, ToDec<V>>] extends [never]
          ? D
          : ToDec<V>
    : never;

/** The length of the range start:stop:step of an axis of size D; `number` unless D, the bounds and a positive step are literal. */
type RangeLength<D extends number, Start, Stop, Step> = [Step] extends [undefined | null]
  ? RangeLength<D, Start, Stop, 1>
  : Step extends number
    ? AnyNever<[ToDec<D>, ToDec<Step>, Bound<ToDec<D>, Start, []>, Bound<ToDec<D>, Stop, ToDec<D>>]> extends true
      ? number
      : ToDec<Step> extends []
        ? number
        : Sub<Bound<ToDec<D>, Stop, ToDec<D>>, Bound<ToDec<D>, Start, []>> extends infer N extends Dec
          ? [N] extends [never]
            ? 0
            : FromDec<Div<Add<N, Sub<ToDec<Step>, [1]>>, ToDec<Step>>>
          : number
    : number;

/** One spec's dims: [] for an index, [D] for null, [length] for a range; "unknown" when the kind of spec is not known. */
type SliceDim<D extends number, P> = [P] extends [undefined | null]
  ? [D]
  : [P] extends [number]
    ? []
    : P extends readonly []
      ? [D]
      : P extends readonly [infer A]
        ? [RangeLength<D, A, undefined, undefined>]
        : P extends readonly [infer A, infer B]
          ? [RangeLength<D, A, B, undefined>]
          : P extends readonly [infer A, infer B, infer C]
            ? [RangeLength<D, A, B, C>]
            : P extends { readonly start?: unknown; readonly stop?: unknown; readonly step?: unknown }
              ? P extends readonly unknown[]
                ? "unknown"
                : [RangeLength<D, Field<P, "start">, Field<P, "stop">, Field<P, "step">>]
              : "unknown";

type Field<P, K extends string> = K extends keyof P ? P[K] : undefined;

type SliceDims<S extends readonly number[], Sp extends readonly unknown[]> = Sp extends readonly [infer P, ...infer PR]
  ? S extends readonly [infer D extends number, ...infer R extends number[]]
    ? SliceDim<D, P> extends infer H extends number[]
      ? SliceDims<R, PR> extends infer T extends number[]
        ? [...H, ...T]
        : "unknown"
      : "unknown"
    : "unknown"
  : [...S];

/**
 * slice's result shape for a literal shape and a tuple of specs: an index drops its axis, `null` keeps
 * it, a range with literal bounds and a positive literal step has its literal length, any other range
 * a `number` length. Specs whose kind is unknown, or more specs than axes, give `Shape`.
 */
export type Sliced<S extends Shape, Sp extends readonly unknown[]> =
  IsTuple<S> extends false ? Shape : IsTuple<Sp> extends false ? Shape : SliceDims<S, Sp> extends infer R extends number[] ? Readonly<R> : Shape;

// ── concat, stack ──────────────────────────────────────────────────────────────────────────────────

type ShapesOf<Ts extends readonly unknown[]> = { [K in keyof Ts]: ShapeOf<Ts[K]> };

/** Whether two literal shapes differ in rank or in a literal dim outside the indices Skip (`number` dims match anything). */
type Differ<A extends readonly number[], B extends readonly number[], Skip, I extends unknown[] = []> = A extends readonly [infer X extends number, ...infer AR extends number[]]
  ? B extends readonly [infer Y extends number, ...infer BR extends number[]]
    ? I["length"] extends Skip
      ? Differ<AR, BR, Skip, [...I, unknown]>
      : IsLiteral<X> extends true
        ? IsLiteral<Y> extends true
          ? [X] extends [Y]
            ? Differ<AR, BR, Skip, [...I, unknown]>
            : true
          : Differ<AR, BR, Skip, [...I, unknown]>
        : Differ<AR, BR, Skip, [...I, unknown]>
    : true
  : B extends readonly []
    ? false
    : true;

/** The first of Ss that differs from S0 (outside Skip), as an error type naming both; else `unknown`. */
type FirstDiffering<S0 extends Shape, Ss extends readonly unknown[], Skip, Message extends string> = Ss extends readonly [infer S, ...infer R]
  ? S extends Shape
    ? IsTuple<S> extends true
      ? Differ<S0, S, Skip> extends true
        ? { readonly [P in Message]: readonly [S0, S] }
        : FirstDiffering<S0, R, Skip, Message>
      : FirstDiffering<S0, R, Skip, Message>
    : FirstDiffering<S0, R, Skip, Message>
  : unknown;

/** The sum of the dims at index K of the shapes Ss, or `number` unless all are literal. */
type SumAt<Ss extends readonly unknown[], K, Acc extends Dec = []> = Ss extends readonly [infer S, ...infer R]
  ? (S extends Shape ? (K extends keyof S ? (S[K] extends infer N extends number ? ToDec<N> : never) : never) : never) extends infer D extends Dec
    ? [D] extends [never]
      ? number
      : SumAt<R, K, Add<Acc, D>>
    : number
  : FromDec<Acc>;

/**
 * concat's result shape: for a tuple of tensors of literal shapes and a literal axis, the first shape
 * with the axis dims summed; for an array of one literal shape, that shape with a `number` axis.
 */
export type Concat<Ts extends readonly Tensor[], A extends number> = number extends Ts["length"]
  ? Ts[number] extends Tensor<infer S>
    ? IsTuple<S> extends false
      ? Shape
      : { readonly [K in keyof S]: K extends `${AxisIndex<S, A>}` ? number : S[K] }
    : Shape
  : Ts extends readonly [Tensor<infer S0>, ...unknown[]]
    ? IsTuple<S0> extends false
      ? Shape
      : [AxisIndex<S0, A>] extends [never]
        ? Shape
        : { readonly [K in keyof S0]: K extends `${AxisIndex<S0, A>}` ? SumAt<ShapesOf<Ts>, K> : S0[K] }
    : Shape;

/** `unknown`, or an error type naming the first shape and one that differs from it off the concat axis. */
export type ConcatCheck<Ts extends readonly Tensor[], A extends number> = Ts extends readonly [Tensor<infer S0>, ...infer Rest]
  ? IsTuple<S0> extends false
    ? unknown
    : [AxisIndex<S0, A>] extends [never]
      ? unknown
      : FirstDiffering<S0, ShapesOf<Rest>, AxisIndex<S0, A>, "concat shapes differ off the axis">
  : unknown;

/** stack's result shape: the (first) shape with the tensor count inserted at the literal axis. */
export type Stack<Ts extends readonly Tensor[], A extends number> =
  (number extends Ts["length"] ? Ts[number] : Ts[0]) extends Tensor<infer S>
    ? IsTuple<S> extends false
      ? Shape
      : [AxisIndex<[...S, 0], A>] extends [never]
        ? Shape
        : Readonly<InsertAt<S, AxisIndex<[...S, 0], A>, Ts["length"]>>
    : Shape;

/** `unknown`, or an error type naming the first shape and one that differs from it. */
export type StackCheck<Ts extends readonly Tensor[]> = Ts extends readonly [Tensor<infer S0>, ...infer Rest]
  ? IsTuple<S0> extends false
    ? unknown
    : FirstDiffering<S0, ShapesOf<Rest>, never, "stack needs equal shapes">
  : unknown;

// ── conv2d, pools (NCHW) ───────────────────────────────────────────────────────────────────────────

/**
 * ⌊(H + 2P − D·(K − 1) − 1) / S⌋ + 1, the number of windows along one axis (the kernels'
 * `windowCount`); `number` unless every input is a literal and the output is non-empty (an empty
 * output, a zero stride or kernel are run-time errors).
 */
export type WindowCount<H extends number, K extends number, S extends number, P extends number, D extends number> =
  AnyNever<[ToDec<H>, ToDec<K>, ToDec<S>, ToDec<P>, ToDec<D>]> extends true
    ? number
    : ToDec<S> extends []
      ? number
      : ToDec<K> extends []
        ? number
        : Sub<Add<ToDec<H>, Add<ToDec<P>, ToDec<P>>>, Add<Mul<ToDec<D>, Sub<ToDec<K>, [1]>>, [1]>> extends infer N extends Dec
          ? [N] extends [never]
            ? number
            : FromDec<Add<Div<N, ToDec<S>>, [1]>>
          : number;

/** Dim I of a rank-4 literal shape, else `number`. */
type Dim4<S extends Shape, I extends 0 | 1 | 2 | 3> = IsTuple<S> extends true ? (S["length"] extends 4 ? S[I] : number) : number;

/** Axis I of a `PairLike` option (a number for both axes or [h, w]) named Key in O; Default when absent. */
type PairOption<O, Key extends string, I extends 0 | 1, Default extends number> = Key extends keyof O
  ? [O[Key]] extends [undefined]
    ? Default
    : [O[Key]] extends [number]
      ? O[Key] & number
      : [O[Key]] extends [readonly [number, number]]
        ? (O[Key] & readonly [number, number])[I]
        : number
  : Default;

type ConvAxis<X extends Shape, W extends Shape, O, I extends 0 | 1> = WindowCount<
  Dim4<X, [2, 3][I]>,
  Dim4<W, [2, 3][I]>,
  PairOption<O, "stride", I, 1>,
  PairOption<O, "padding", I, 0>,
  PairOption<O, "dilation", I, 1>
>;

/**
 * conv2d's result [N, F, OH, OW] for x: [N, C, H, W], w: [F, C, KH, KW] and options O; dims that
 * cannot be known are `number`, and the whole shape is `Shape` when x's rank is not known.
 */
export type Conv2d<X extends Shape, W extends Shape, O> = IsTuple<X> extends false ? Shape : readonly [Dim4<X, 0>, Dim4<W, 0>, ConvAxis<X, W, O, 0>, ConvAxis<X, W, O, 1>];

/** Whether options O set key K to something other than `Default` (tested apart from O so O is not narrowed). */
type HasKey<O, K extends string, Default = undefined> = [O] extends [Readonly<Record<K, infer V>>] ? ([V] extends [Default] ? false : true) : false;

/** `unknown`, or an error type naming both shapes when x's channels (dim 1) and w's are literal and differ (with `groups`, checked at run time). */
export type Conv2dCheck<X extends Shape, W extends Shape, O = {}> =
  HasKey<O, "groups"> extends true
    ? unknown
    : IsLiteral<Dim4<X, 1>> extends true
      ? IsLiteral<Dim4<W, 1>> extends true
        ? Dim4<X, 1> extends Dim4<W, 1>
          ? unknown
          : { readonly "x and w have different channel counts": readonly [X, W] }
        : unknown
      : unknown;

type PoolAxis<X extends Shape, O, I extends 0 | 1> = WindowCount<
  Dim4<X, [2, 3][I]>,
  PairOption<O, "kernel", I, number>,
  PairOption<O, "stride", I, PairOption<O, "kernel", I, number>>,
  PairOption<O, "padding", I, 0>,
  PairOption<O, "dilation", I, 1>
>;

/** maxPool2d's / avgPool2d's result [N, C, OH, OW] for x: [N, C, H, W]; the stride defaults to the kernel. ceilMode's sizes are left to run time. */
export type Pool2d<X extends Shape, O> =
  IsTuple<X> extends false
    ? Shape
    : HasKey<O, "ceilMode", false | undefined> extends false
      ? readonly [Dim4<X, 0>, Dim4<X, 1>, PoolAxis<X, O, 0>, PoolAxis<X, O, 1>]
      : readonly [Dim4<X, 0>, Dim4<X, 1>, number, number];

/** Values with the int32 indices they came from along an axis (sort, topk, median, cummax …), as PyTorch's named tuples. */
export interface ValuesIndices<S extends Shape = Shape> {
  readonly values: Tensor<S>;
  readonly indices: Tensor<S>;
}
