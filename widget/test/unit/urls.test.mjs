import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeHttpUrl, telHref, mailtoHref, apiBase } from '../../src/urls.js';

test('only http and https website URLs pass', () => {
  assert.equal(safeHttpUrl('https://example.org/a?b=1'), 'https://example.org/a?b=1');
  assert.equal(safeHttpUrl('http://example.org'), 'http://example.org/');
  for (const bad of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', 'data:text/html,<script>',
    'vbscript:x', 'file:///etc/passwd', '//example.org', '/relative', 'example.org', '', null, 42, 'ftp://x.org']) {
    assert.equal(safeHttpUrl(bad), null, String(bad));
  }
  assert.equal(safeHttpUrl('https://example.org/"><script>x</script>'), 'https://example.org/%22%3E%3Cscript%3Ex%3C/script%3E');
});

test('tel: only for plain phone numbers', () => {
  assert.equal(telHref('+358 2 123 4567'), 'tel:+35821234567');
  assert.equal(telHref('040 765 4321'), 'tel:0407654321');
  assert.equal(telHref('(09) 123-456'), 'tel:09123456');
  for (const bad of ['javascript:alert(1)', 'tel:+358"><script>', '12', 'soita meille', null]) assert.equal(telHref(bad), null, String(bad));
});

test('mailto: only for plain addresses', () => {
  assert.equal(mailtoHref('info@kuorot.example.org'), 'mailto:info@kuorot.example.org');
  for (const bad of ['javascript:alert(1)', '"><img src=x onerror=1>@example.org', 'a@b', 'a@b.org?subject=x', 'a b@c.org', 'a@b.org\nbcc:x@y.org', null]) {
    assert.equal(mailtoHref(bad), null, String(bad));
  }
});

test('apiBase accepts only http(s) and normalises the path', () => {
  assert.equal(apiBase('https://api.example.org').href, 'https://api.example.org/');
  assert.equal(apiBase('https://x.org/tarjotin?x=1#y').href, 'https://x.org/tarjotin/');
  assert.equal(apiBase('javascript:alert(1)'), null);
  assert.equal(apiBase(''), null);
});
