// The admin page in Debian's Chromium (Playwright's own browser download cannot be reached
// from these machines), against the local stack that run.sh starts (BASE_URL).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts/,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: process.env.ARTIFACTS ? `${process.env.ARTIFACTS}/results` : 'test-results',
  // Every flow in both languages: the page takes its language from the browser's.
  projects: [
    { name: 'en', use: { locale: 'en-US' } },
    { name: 'zh-CN', use: { locale: 'zh-CN' } },
  ],
  use: {
    baseURL: process.env.BASE_URL ?? 'http://127.0.0.1:3000',
    browserName: 'chromium',
    launchOptions: { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    screenshot: 'only-on-failure',
    trace: 'off',
    viewport: { width: 1366, height: 900 },
    // The merchant's clock (the policy's default, UTC+8): the board's days are the merchant's.
    timezoneId: 'Asia/Shanghai',
  },
});
