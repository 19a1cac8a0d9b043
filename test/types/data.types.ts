/**
 * The data helpers' result types (issue 18): a split or a batch has a row count known only at run
 * time, so its first axis is `number` and the other axes keep their literal sizes. Nothing here runs.
 */
import { DataLoader, batches, trainTestSplit } from "../../src/nn/index.js";
import { add, randn, type Tensor } from "../../src/tensor/index.js";

const x = randn([400, 2]);
const y = randn([400]);
const { train, test } = trainTestSplit([x, y]);
const [xTrain, yTrain] = train;
// Correct code that the literal [400, 2] rejected: 300 rows against a split of unknown size.
add(xTrain, randn([300, 2]));
add(yTrain, randn([300]));
const columns: Tensor<[number, 2]> = test[0];
// @ts-expect-error the column count is still known: [number, 2] and [300, 3] do not broadcast
add(xTrain, randn([300, 3]));

for (const [xb, yb] of new DataLoader([x, y], { batchSize: 32 })) {
  add(xb, randn([32, 2]));
  add(yb, randn([32]));
}
for (const [xb] of batches([x], { batchSize: 10 })) add(xb, randn([10, 2]));

export { columns };
