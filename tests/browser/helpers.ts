// What the browser tests share: tokens from the local sign-in, API calls to set the scene, the
// sign-in through the page itself, and screenshots as artifacts.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { APIRequestContext, Page, expect, test } from '@playwright/test';

/** This run's language project (`en`, `zh-CN`): names of what a test makes carry it, so that
 * the two runs over one table never meet. */
export function run(): string {
  return test.info().project.name;
}

/** A dev token for `role` from the local gateway's sign-in (the fragment of its redirect). */
export async function token(request: APIRequestContext, role: string, name: string): Promise<string> {
  const answer = await request.post('/_dev/sign-in', {
    form: { role, name, return: '/admin/' },
    maxRedirects: 0,
  });
  expect(answer.status()).toBe(303);
  const location = answer.headers()['location'] ?? '';
  const token = location.split('#token=')[1];
  expect(token, location).toBeTruthy();
  return token;
}

/** An API call as `bearer`; answers the JSON body, failing the test on an error status. */
export async function api(
  request: APIRequestContext,
  bearer: string,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<any> {
  const answer = await request.fetch(path, {
    method,
    headers: { authorization: `Bearer ${bearer}` },
    data: body,
  });
  const text = await answer.text();
  expect(answer.ok(), `${method} ${path}: ${answer.status()} ${text}`).toBeTruthy();
  return text ? JSON.parse(text) : null;
}

/** Signs in through the page: the app sends the browser to the local sign-in and back. */
export async function signIn(page: Page, role: string, name: string, lang: 'en' | 'zh-CN' = 'en') {
  await page.goto('/admin/');
  await page.getByTestId('sign-in').click();
  await page.waitForURL(/\/_dev\/sign-in/);
  await page.getByTestId('sign-in-role').selectOption(role);
  await page.getByTestId('sign-in-name').fill(name);
  await page.getByTestId('sign-in-submit').click();
  await page.waitForURL(/\/admin\//);
  await expect(page.getByTestId('whoami')).toContainText(name);
  void lang;
}

/** A screenshot of the page as it is, kept as a test artifact. */
export async function shot(page: Page, name: string) {
  const dir = process.env.ARTIFACTS ?? 'test-results';
  await page.screenshot({ path: `${dir}/${run()}-${name}.png`, fullPage: true });
}

/** A refund request filed by customer `customer`: answers its case number. */
export async function refundRequest(request: APIRequestContext, who: string, description: string): Promise<string> {
  const customer = `${who}-${run()}`;
  const bearer = await token(request, 'customer', customer);
  const today = new Date();
  const day = (n: number) => new Date(today.getTime() + n * 86_400_000).toISOString().slice(0, 10);
  const filed = await api(request, bearer, 'POST', '/v1/cases', {
    type: 'refund_only',
    description,
    product: { sku: 'TV-55X', model: 'TV-55X' },
    order: { order_id: `SO-${customer}` },
    purchase: { category: 'television', invoice_date: day(-5), receipt_date: day(-3) },
    return_terms: { kind: 'refund_only', reason: 'quality_fault', units: 1, currency: 'CNY', unit_price_minor: 9900 },
  });
  return filed.id as string;
}

/** A day `n` days from today, `YYYY-MM-DD` (UTC; the tests' periods are wide around it). */
export function day(n: number): string {
  return new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
}

/** A technician working 9:00 to 18:00 on weekdays with the `television` skill in 420102. */
export async function technician(request: APIRequestContext, id: string, name: string) {
  const dispatcher = await token(request, 'dispatcher', 'setup');
  const hours = [540, 1080];
  await api(request, dispatcher, 'PUT', `/v1/technicians/${id}`, {
    name, skills: ['television'], districts: { '420102': 'city' },
    hours: [hours, hours, hours, hours, hours, null, null], daily_capacity: 8, version: 0,
  });
}

/** A repair taken to the workshop as a work order (unbooked): answers its case number. */
export async function workOrder(request: APIRequestContext, who: string): Promise<string> {
  const customer = `${who}-${run()}`;
  const bearer = await token(request, 'customer', customer);
  const filed = await api(request, bearer, 'POST', '/v1/cases', {
    type: 'repair', description: 'No picture, sound only.',
    contact: { name: 'Li Lei', phone: '13800138000', address: '1 Jiefang Road, Wuhan' },
    product: { sku: 'TV-55X', serial_number: `SN-${customer}` },
    purchase: { category: 'television', invoice_date: day(-60) },
  });
  const agent = await token(request, 'agent', 'opener');
  await api(request, agent, 'POST', `/v1/cases/${filed.id}/work`, {
    action: 'open', kind: 'workshop', skill: 'television', district: '420102', area: 'city',
    service: 'Diagnose and repair the picture', expected_minutes: 60,
  });
  return filed.id as string;
}

/** A fixture of `tests/fixtures/shopify`, as text (its ids are larger than a JavaScript number). */
export function shopifyFixture(name: string): string {
  return readFileSync(`${process.cwd()}/../fixtures/shopify/${name}`, 'utf8');
}

/** A Shopify webhook from the shop run.sh configured, signed as Shopify signs: its answer. */
export async function shopifyWebhook(request: APIRequestContext, topic: string, body: string, eventId: string): Promise<any> {
  const secret = process.env.BROWSER_SHOPIFY_SECRET ?? '';
  expect(secret, 'run.sh sets BROWSER_SHOPIFY_SECRET').toBeTruthy();
  const answer = await request.post('/v1/webhooks/shopify', {
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': topic,
      'x-shopify-shop-domain': process.env.BROWSER_SHOPIFY_DOMAIN ?? '',
      'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('base64'),
      'x-shopify-event-id': eventId,
      'x-shopify-webhook-id': `delivery-${eventId}`,
      'x-shopify-api-version': '2026-04',
    },
    data: body,
  });
  const text = await answer.text();
  expect(answer.ok(), `${topic}: ${answer.status()} ${text}`).toBeTruthy();
  return JSON.parse(text);
}
