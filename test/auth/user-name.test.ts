import t from 'tap'
import { validateUserName, UserNameError, isValidUserName, MAX_USER_NAME_LENGTH } from '../../src/auth/user-name.ts'

t.test('names are normalised: trimmed, lower-cased, NFKC', async (t) => {
  t.equal(validateUserName('  Alice '), 'alice')
  t.equal(validateUserName('ＡＬＩＣＥ'), 'alice', 'full-width letters fold to ASCII')
  t.equal(validateUserName('Jose\u0301'), 'josé', 'combining accent composes')
  t.equal(validateUserName('Alice.Smith+hub@Example.org'), 'alice.smith+hub@example.org', 'e-mail addresses work')
  t.equal(validateUserName('user_01-x'), 'user_01-x')
})

t.test('bad names are refused with a message saying what is wrong and what is allowed', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['   ', /empty/],
    ['a/b', /'\/'/],
    ['a\\b', /'\\'/],
    ['..', /starts with '\.'/],
    ['a..b', /contains '\.\.'/],
    ['.hidden', /starts with '\.'/],
    ['-rf', /starts with '-'/],
    ['a b', /whitespace U\+0020/],
    ['a\tb', /control character U\+0009/],
    ['a\nb', /control character U\+000A/],
    ['a\u0000b', /control character U\+0000/],
    ['a\u0085b', /control character U\+0085/],
    ['a\u00a0b', /whitespace/],
    ['a:b', /':'/],
    ['a;b', /';'/],
    ['a$b', /'\$'/],
    ['a%2fb', /'%'/],
    ['<script>', /'<'/],
    ['x'.repeat(MAX_USER_NAME_LENGTH + 1), /65 characters long/],
  ]
  for (const [raw, why] of bad) {
    let err: unknown
    try {
      validateUserName(raw)
    } catch (e) {
      err = e
    }
    t.ok(err instanceof UserNameError, `refuses ${JSON.stringify(raw)}`)
    const e = err as UserNameError
    t.equal(e.code, 'BAD_USER_NAME')
    t.equal(e.status, 400)
    t.match(e.message, why, 'says what is wrong')
    t.match(e.message, /allowed: letters, digits/, 'says what is allowed')
  }
  t.throws(() => validateUserName(42), UserNameError, 'non-strings are refused')
})

t.test('the length limit is exactly 64 characters', async (t) => {
  t.ok(isValidUserName('a'.repeat(64)))
  t.notOk(isValidUserName('a'.repeat(65)))
  t.ok(isValidUserName('é'.repeat(64)), 'counts characters, not bytes')
})

t.test('full-width solidus cannot smuggle a slash in', async (t) => {
  // NFKC maps U+FF0F to '/', which is then refused.
  t.throws(() => validateUserName('a\uff0fb'), UserNameError)
  t.throws(() => validateUserName('\uff0e\uff0e'), UserNameError, 'full-width dots become ..')
})
