import { Injectable } from '@nestjs/common';
import { InjectCommander } from 'nest-commander';

/** Commander names the program after the script (`main`); the usage line says `orderops`. */
@Injectable()
export class CliProgram {
  constructor(@InjectCommander() program: { name(name: string): unknown }) {
    program.name('orderops');
  }
}
