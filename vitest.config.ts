import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts"],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          testTimeout: 900_000,
          hookTimeout: 1_800_000,
          // e2e suites start real processes (Prometheus, etcd, kube-apiserver); run files one at a time.
          fileParallelism: false,
        },
      },
    ],
  },
});
