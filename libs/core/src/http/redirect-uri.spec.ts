import { describe, expect, it } from 'vitest';
import { matchesLoopbackRedirect, redirectUriViolation } from './redirect-uri.js';

describe('redirectUriViolation', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com/',
    'https://app.example.com:8443/cb?x=1',
    'http://localhost:5173/callback',
    'http://127.0.0.1/cb',
    'http://[::1]:8080/cb',
  ])('accepts %s', (uri) => {
    expect(redirectUriViolation(uri)).toBeUndefined();
  });

  it.each([
    ['a relative URI', '/callback', 'absolute'],
    ['a fragment', 'https://app.example.com/cb#x', 'fragment'],
    ['an empty fragment', 'https://app.example.com/cb#', 'fragment'],
    ['a wildcard host', 'https://*.example.com/cb', 'wildcard'],
    ['a wildcard path', 'https://app.example.com/*', 'wildcard'],
    ['a wildcard in a loopback path', 'http://127.0.0.1/cb*', 'wildcard'],
    ['plain http to a network host', 'http://app.example.com/cb', 'https unless'],
    ['plain http to a .localhost name', 'http://app.localhost/cb', 'https unless'],
    ['another scheme', 'javascript:alert(1)', 'https URI'],
    ['a custom scheme', 'com.example.app:/cb', 'https URI'],
    ['user information', 'https://user:pw@app.example.com/cb', 'user information'],
    ['an upper-case host', 'https://App.example.com/cb', 'canonical'],
    ['no path', 'https://app.example.com', 'canonical'],
    ['a default port', 'https://app.example.com:443/cb', 'canonical'],
    ['an empty string', '', 'characters'],
    ['an over-long URI', `https://app.example.com/${'a'.repeat(2000)}`, 'characters'],
  ])('refuses %s', (_, uri, reason) => {
    expect(redirectUriViolation(uri)).toContain(reason);
  });

  it('never echoes the value it refuses', () => {
    expect(redirectUriViolation('http://secret-host.example/cb')).not.toContain('secret-host');
  });
});

describe('matchesLoopbackRedirect', () => {
  it('lets a loopback http URI differ in its port only', () => {
    expect(matchesLoopbackRedirect('http://127.0.0.1/cb', 'http://127.0.0.1:49152/cb')).toBe(true);
    expect(matchesLoopbackRedirect('http://[::1]:1/cb', 'http://[::1]:2/cb')).toBe(true);
  });

  it.each([
    ['another path', 'http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb/x'],
    ['another host', 'http://127.0.0.1/cb', 'http://localhost:5000/cb'],
    ['another query', 'http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb?a=1'],
    ['https registered', 'https://app.example.com/cb', 'https://app.example.com:444/cb'],
    ['a fragment', 'http://127.0.0.1/cb', 'http://127.0.0.1:5000/cb#x'],
    ['a non-canonical spelling', 'http://127.0.0.1/cb', 'HTTP://127.0.0.1:5000/cb'],
  ])('refuses %s', (_, registered, presented) => {
    expect(matchesLoopbackRedirect(registered, presented)).toBe(false);
  });
});
