import { describe, expect, it } from '@jest/globals';
import { mariadbBinaries } from './mariadb-server';

describe('the MariaDB test server helper', () => {
  it('finds the installed server binaries', () => {
    expect(mariadbBinaries()).toEqual({ installDb: expect.stringMatching(/install_?db$|install-db$/), server: expect.stringMatching(/(mariadbd|mysqld)$/) });
  });

  it('says which Debian package to install when they are missing', () => {
    expect(() => mariadbBinaries({ installDb: ['/nonexistent/mariadb-install-db'], server: ['/nonexistent/mariadbd'] })).toThrow(
      /apt-get install -y mariadb-server/,
    );
  });
});
