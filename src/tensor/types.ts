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
type IsTuple<S extends Shape> = number extends S["length"] ? false : true;

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

type InnerCheck<K1 extends number, K2 extends number> = IsLiteral<K1> extends true ? (IsLiteral<K2> extends true ? (K1 extends K2 ? unknown : { readonly "matmul inner dimensions differ": readonly [K1, K2] }) : unknown) : unknown;

/** The contracted dims of matmul(A, B) (NumPy rules: 1-D operands are a row / a column). */
type Contracted<A extends Shape, B extends Shape> = [
  A extends readonly [...number[], infer K extends number] ? K : number,
  B extends readonly [infer K extends number] ? K : B extends readonly [...number[], infer K extends number, number] ? K : number,
];

export type MatMulCheck<A extends Shape, B extends Shape> = IsTuple<A> extends false ? unknown : IsTuple<B> extends false ? unknown : InnerCheck<Contracted<A, B>[0], Contracted<A, B>[1]>;

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

type Reverse<T extends readonly number[]> = T extends readonly [infer H extends number, ...infer R extends number[]] ? [...Reverse<R>, H] : [];

/** T with the element at index I (non-negative, literal) removed, or replaced by `With`. */
type EditAt<T extends readonly number[], I extends number, With extends readonly number[], Count extends unknown[] = []> = T extends readonly [
  infer H extends number,
  ...infer R extends number[],
]
  ? Count["length"] extends I
    ? [...With, ...R]
    : [H, ...EditAt<R, I, With, [...Count, unknown]>]
  : [];

type Negate<N extends number> = `${N}` extends `-${infer P extends number}` ? P : never;
type Minus1<N extends number, Count extends unknown[] = []> = [...Count, unknown]["length"] extends N ? Count["length"] : Minus1<N, [...Count, unknown]>;

/** The shape after reducing `axis` (a literal, possibly negative) with or without keepDims. */
type EditAxis<S extends readonly number[], Axis extends number, With extends readonly number[]> = `${Axis}` extends `-${string}`
  ? Reverse<EditAt<Reverse<S>, Minus1<Negate<Axis>>, With>>
  : EditAt<S, Axis, With>;

/**
 * A reduction's result shape: over everything → `[]` (or all 1s with keepDims); over one literal axis
 * of a literal shape → that axis removed (or 1); otherwise unknown (`Shape`).
 */
export type Reduced<S extends Shape, Axis, Keep> =
  IsTuple<S> extends false
    ? Shape
    : Axis extends undefined
      ? Keep extends true
        ? { readonly [K in keyof S]: 1 }
        : readonly []
      : Axis extends number
        ? IsLiteral<Axis> extends true
          ? Keep extends true
            ? Readonly<EditAxis<[...S], Axis, [1]>>
            : Readonly<EditAxis<[...S], Axis, []>>
          : Shape
        : Shape;
