import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classNameFromFileName, csvFields, parseUrlList, toCsv, toUrlList } from '../src/data/url-list';

describe('classNameFromFileName', () => {
  it('takes the class from urls_<class>.csv, else the base name', () => {
    expect(classNameFromFileName('urls_cubism.csv')).toBe('cubism');
    expect(classNameFromFileName('urls_14-cubism.txt')).toBe('14-cubism');
    expect(classNameFromFileName('downloads/pop art.csv')).toBe('pop art');
    expect(classNameFromFileName('url-baroque.csv')).toBe('baroque');
  });
});

describe('parseUrlList', () => {
  it('reads one URL per line with CRLF, BOM, blanks, duplicates and junk', () => {
    const text =
      '\uFEFFhttps://a.example/1.jpg\r\n\r\nhttps://a.example/1.jpg\r\nftp://x/y.jpg\r\nnot a url\r\nhttp://b.example/2.png\r\n';
    const parsed = parseUrlList(text, 'urls_reds.csv');
    expect(parsed.className).toBe('reds');
    expect(parsed.urls).toEqual(['https://a.example/1.jpg', 'http://b.example/2.png']);
    expect(parsed.skipped).toEqual({ blank: 1, duplicate: 1, invalid: 2 });
  });

  it('reads a CSV with a header and a URL column among others, quoted fields included', () => {
    const text =
      'title,image_url,width\n"Guernica, 1937",https://x.example/g.jpg,800\n"The ""Scream""","https://x.example/s.jpg?w=1,2",600\n';
    const parsed = parseUrlList(text, 'art.csv');
    expect(parsed.className).toBe('art');
    expect(parsed.urls).toEqual(['https://x.example/g.jpg', 'https://x.example/s.jpg?w=1,2']);
    expect(parsed.skipped).toEqual({ blank: 0, duplicate: 0, invalid: 0 });
  });

  it('keeps long Google-Images-style URLs with query strings and odd extensions intact', () => {
    const long =
      'https://www.thoughtco.com/thmb/hwtiNURtofmTHykPKufjoocX8oQ=/768x0/filters:no_upscale():max_bytes(150000):strip_icc()/Magritte-Double-Secret-GettyImages-634358302-5a87673dd8fdd50037dd8a92.jpg';
    const parsed = parseUrlList(
      `${long}\nhttps://i.pinimg.com/originals/9e/a4/e5/9ea4e5.png\nhttps://x.example/img.php?id=3&s=large\n`,
      'urls_surrealism.txt',
    );
    expect(parsed.urls).toEqual([
      long,
      'https://i.pinimg.com/originals/9e/a4/e5/9ea4e5.png',
      'https://x.example/img.php?id=3&s=large',
    ]);
  });

  const shared = '../shared/data/real-url-lists/urls_cubism.txt';
  it.skipIf(!existsSync(shared))(
    'parses the real cubism list from ../shared (skipped in a fresh clone)',
    () => {
      const text = readFileSync(shared, 'utf8');
      const parsed = parseUrlList(text, 'urls_cubism.txt');
      const lines = text.split('\n').filter((l) => l.trim()).length;
      expect(parsed.urls.length + parsed.skipped.duplicate + parsed.skipped.invalid).toBe(lines);
      expect(parsed.urls.length).toBeGreaterThan(250);
      expect(parsed.urls.every((u) => /^https?:\/\//.test(u))).toBe(true);
    },
  );
});

describe('csv helpers', () => {
  it('splits quoted fields and writes them back', () => {
    expect(csvFields('a,"b,c","d ""e"""')).toEqual(['a', 'b,c', 'd "e"']);
    expect(toCsv(['url', 'why'], [['http://x/a,b', 'say "no"']])).toBe(
      'url,why\n"http://x/a,b","say ""no"""\n',
    );
    expect(toUrlList(['a', 'b'])).toBe('a\nb\n');
  });
});
