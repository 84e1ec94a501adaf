import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  classNameFromFileName,
  csvFields,
  parseUrlList,
  redactCredentials,
  toCsv,
  toUrlList,
  UrlListParser,
} from '../src/data/url-list';

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

  it('keeps a line that is a URL as a whole, whatever commas, semicolons or quotes it holds', () => {
    const urls = [
      'https://upload.wikimedia.org/wikipedia/commons/Rembrandt_-_The_Night_Watch,_1642.jpg',
      'https://res.cloudinary.com/demo/image/upload/w_300,h_200,c_crop/painting.jpg',
      'https://cdn.britannica.com/s:800x450,c:crop/65/164465-138/Braque.jpg',
      'https://x.example/a;jsessionid=12;b.jpg',
      'https://x.example/say"hi".jpg',
    ];
    const parsed = parseUrlList(urls.join('\n'), 'urls_baroque.csv');
    expect(parsed.urls).toEqual([...urls.slice(0, 4), 'https://x.example/say%22hi%22.jpg']);
    expect(parsed.skipped).toEqual({ blank: 0, duplicate: 0, invalid: 0 });
    // Quoted, it is one CSV field: the same URL.
    expect(parseUrlList(`"${urls[0]}"\n`, 'l.csv').urls).toEqual([urls[0]]);
  });

  it('refuses credentials, other schemes and relative URLs, each listed with its line number', () => {
    const text = [
      'https://ok.example/1.jpg',
      'http://user:secret@host.example/a.jpg',
      'javascript:alert(1)',
      'file:///etc/passwd',
      '/relative/path.jpg',
      'data:image/png;base64,AAAA',
      '',
      'https://ok.example/2.jpg',
    ].join('\r\n');
    const parsed = parseUrlList(text, 'urls_x.txt');
    expect(parsed.urls).toEqual(['https://ok.example/1.jpg', 'https://ok.example/2.jpg']);
    expect(parsed.skipped).toEqual({ blank: 1, duplicate: 0, invalid: 5 });
    expect(parsed.refused).toEqual([
      { line: 2, text: 'http://***@host.example/a.jpg', reason: 'contains a user name or password' },
      { line: 3, text: 'javascript:alert(1)', reason: 'not an http(s) URL (javascript:)' },
      { line: 4, text: 'file:///etc/passwd', reason: 'not an http(s) URL (file:)' },
      { line: 5, text: '/relative/path.jpg', reason: 'not an absolute URL' },
      { line: 6, text: 'data:image/png;base64,AAAA', reason: 'not an http(s) URL (data:)' },
    ]);
    expect(JSON.stringify(parsed)).not.toContain('secret');
    expect(redactCredentials('https://a:b@h.example/x')).toBe('https://***@h.example/x');
  });

  it('gives the same result fed in chunks cut anywhere (CRLF split included)', () => {
    const text =
      '\uFEFFurl\r\nhttps://a.example/1,2.jpg\r\n\r\nftp://x\r\nhttps://b.example/3.jpg\r\nhttps://a.example/1,2.jpg';
    const whole = parseUrlList(text, 'urls_c.csv');
    for (let cut = 1; cut < text.length; cut++) {
      const parser = new UrlListParser('urls_c.csv');
      parser.push(text.slice(0, cut));
      parser.push(text.slice(cut), true);
      expect(parser.result(), `cut at ${cut}`).toEqual(whole);
    }
    expect(whole.urls).toEqual(['https://a.example/1,2.jpg', 'https://b.example/3.jpg']);
    expect(whole.skipped).toEqual({ blank: 1, duplicate: 1, invalid: 1 });
  });

  for (const name of ['urls_cubism.txt', 'urls_surrealism.txt']) {
    const shared = `../shared/data/real-url-lists/${name}`;
    it.skipIf(!existsSync(shared))(
      `parses the real ${name} from ../shared (skipped in a fresh clone)`,
      () => {
        const text = readFileSync(shared, 'utf8');
        const parsed = parseUrlList(text, name);
        const lines = text.split('\n').filter((l) => l.trim());
        expect(parsed.urls.length + parsed.skipped.duplicate + parsed.skipped.invalid).toBe(lines.length);
        // Google's scraper leaves x-raw-image: thumbnails: the only lines refused.
        expect(parsed.refused.every((r) => r.text.startsWith('x-raw-image:'))).toBe(true);
        expect(parsed.skipped.invalid).toBe(lines.filter((l) => l.startsWith('x-raw-image:')).length);
        expect(parsed.urls.length).toBeGreaterThan(150);
        // Every line is kept whole: commas in CDN paths included.
        for (const line of lines.filter((l) => l.startsWith('http'))) {
          expect(parsed.urls).toContain(new URL(line.trim()).href);
        }
      },
    );
  }
});

describe('csv helpers', () => {
  it('splits quoted fields and writes them back', () => {
    expect(csvFields('a,"b,c","d ""e"""')).toEqual(['a', 'b,c', 'd "e"']);
    expect(toCsv(['url', 'why'], [['http://x/a,b', 'say "no"']])).toBe(
      'url,why\n"http://x/a,b","say ""no"""\n',
    );
    expect(toUrlList(['a', 'b'])).toBe('a\nb\n');
  });

  it('neutralises cells a spreadsheet would run as formulas', () => {
    expect(
      toCsv(
        ['class', 'n'],
        [
          ['=HYPERLINK("http://evil","x")', 3],
          ['+1', -2],
          ['@SUM(A1)', 0],
          ['-x', 1],
        ],
      ),
    ).toBe('class,n\n"\'=HYPERLINK(""http://evil"",""x"")",3\n\'+1,-2\n\'@SUM(A1),0\n\'-x,1\n');
    expect(toCsv(['a'], [['\tcmd'], ['\rcmd']])).toBe('a\n"\'\tcmd"\n"\'\rcmd"\n');
  });
});
